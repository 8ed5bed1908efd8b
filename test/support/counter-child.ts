// A separate process with a FlipCounter, for the tests that need several processes.
// Usage: node counter-child.mjs <redisUrl> <name> increment <key> <count> <base> <restoreMs>
//    or: node counter-child.mjs <redisUrl> <name> persist-hang <persistTimeoutMs> <key...>
// (the tests run it bundled by child-scripts.ts). It prints "ready" once connected and waits for a
// line on stdin, so that all start together. `increment`: `count` concurrent increments of `key`,
// whose restore INCRs `<name>#restore-calls` (so the parent counts calls across processes), waits
// restoreMs and returns base; prints "values <json>" and exits. `persist-hang`: increments each key
// by 1 and calls persistNow(), whose persist prints "handed <json>" and never resolves (the parent
// kills the process there).
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { FlipCounter } from '../../src/index.js'

const [url, name, mode, ...rest] = process.argv.slice(2)
if (url === undefined || name === undefined || (mode !== 'increment' && mode !== 'persist-hang')) {
  throw new Error('usage: counter-child <redisUrl> <name> increment|persist-hang <args...>')
}
const redis = new Redis(url)
if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve))

async function whenTold(): Promise<void> {
  process.stdout.write('ready\n')
  const input = createInterface({ input: process.stdin })
  await new Promise<void>((resolve) => input.once('line', () => resolve()))
  input.close()
}

if (mode === 'increment') {
  const [key = 'k', count = '1', base = '0', restoreMs = '0'] = rest
  const counter = new FlipCounter(name, {
    redis,
    restoreTimeout: 20_000,
    restore: async () => {
      await redis.incr(`${name}#restore-calls`)
      await new Promise((resolve) => setTimeout(resolve, Number(restoreMs)))
      return Number(base)
    },
  })
  await whenTold()
  const values = await Promise.all(Array.from({ length: Number(count) }, () => counter.increment(key)))
  process.stdout.write(`values ${JSON.stringify(values)}\n`)
  await counter.close()
} else {
  const [persistTimeout = '60000', ...keys] = rest
  const counter = new FlipCounter(name, {
    redis,
    persistInterval: 3_600_000,
    persistTimeout: Number(persistTimeout),
    persist: async (changes) => {
      process.stdout.write(`handed ${JSON.stringify(changes)}\n`)
      await new Promise(() => {})
    },
  })
  await whenTold()
  for (const key of keys) await counter.increment(key)
  await counter.persistNow()
}
redis.disconnect()
