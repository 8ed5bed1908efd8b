// A separate process that calls getOrSet once, for the tests that need several processes.
// Usage: node get-or-set-child.mjs <redisUrl> <cacheName> <key> <loaderMs> <lockTtlMs> [hang]
// (the tests run it bundled by child-scripts.ts). Its lock lives lockTtlMs and others wait for it
// up to 20 s, far longer than any test's load. The loader INCRs `${cacheName}:loader-calls` (so the parent counts calls across processes),
// prints "loading" when it starts, waits loaderMs (forever with "hang") and returns "from-<pid>".
// The child prints "ready" once connected and waits for a line on stdin, so that all start together,
// then prints "result <value>" and exits.
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js'

const [url, name, key, loaderMs, lockTtlMs, hang] = process.argv.slice(2)
if (
  url === undefined ||
  name === undefined ||
  key === undefined ||
  loaderMs === undefined ||
  lockTtlMs === undefined
) {
  throw new Error('usage: get-or-set-child <redisUrl> <cacheName> <key> <loaderMs> <lockTtlMs> [hang]')
}
const redis = new Redis(url)
const cache = new FlipCache<string, string>(name, {
  redis,
  valueType: 'string',
  lock: { ttl: Number(lockTtlMs), wait: 20_000 },
})

if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve))
process.stdout.write('ready\n')
const input = createInterface({ input: process.stdin })
await new Promise<void>((resolve) => input.once('line', () => resolve()))
input.close()

const value = await cache.getOrSet(key, async () => {
  await redis.incr(`${name}:loader-calls`)
  process.stdout.write('loading\n')
  if (hang === 'hang') await new Promise(() => {})
  await new Promise((resolve) => setTimeout(resolve, Number(loaderMs)))
  return `from-${process.pid}`
})
process.stdout.write(`result ${value}\n`)
await cache.close()
redis.disconnect()
