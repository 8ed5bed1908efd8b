// Measures how long calls keep failing after Redis recovers from a stall, for issue 12's table:
// L1 off, each worker reading its own key every 20 ms, while Redis stalls in one of three ways.
// Run: npx tsx bench/probes/stall-recovery.ts (about a minute; not part of npm run bench)
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js'
import { startRedisServer } from '../../test/support/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function measure(
  label: string,
  callers: number,
  stall: (admin: Redis) => Promise<void>,
): Promise<string> {
  const server = await startRedisServer(['--enable-debug-command', 'yes'])
  const admin = new Redis(server.url)
  const staller = new Redis(server.url)
  const client = new Redis(server.url)
  const cache = new FlipCache<string, string>(`probe-${callers}`, {
    redis: client,
    localMax: 0,
    valueType: 'string',
  })
  await cache.ready()
  for (let worker = 0; worker < callers; worker++) await cache.set(`k${worker}`, 'v')
  let running = true
  let lastFailure = 0
  let failures = 0
  const workers = Array.from({ length: callers }, async (_, worker) => {
    while (running) {
      try {
        await cache.get(`k${worker}`)
      } catch {
        failures++
        lastFailure = Date.now()
      }
      await sleep(20)
    }
  })
  await sleep(300)
  await stall(staller)
  const recovered = Date.now()
  failures = 0
  await sleep(8000)
  running = false
  await Promise.all(workers)
  await cache.close()
  for (const each of [admin, staller, client]) each.disconnect()
  await server.stop()
  const after = lastFailure > recovered ? lastFailure - recovered : 0
  return `| ${label} | ${callers} | ${after} ms, ${failures} errors after recovery |`
}

const busyLoop = (ms: number) => async (staller: Redis) => {
  await staller.eval(
    `local t = redis.call('TIME') local start = t[1] * 1000 + t[2] / 1000 while true do t = redis.call('TIME') if t[1] * 1000 + t[2] / 1000 - start > ${ms} then break end end return 0`,
    0,
  )
}

const rows = [
  await measure('CLIENT PAUSE 3000', 1, async (s) => {
    await s.call('CLIENT', 'PAUSE', '3000')
    await sleep(3000)
  }),
  await measure('CLIENT PAUSE 3000', 8, async (s) => {
    await s.call('CLIENT', 'PAUSE', '3000')
    await sleep(3000)
  }),
  await measure('DEBUG SLEEP 2', 8, async (s) => {
    await s.call('DEBUG', 'SLEEP', '2')
  }),
  await measure('Lua busy loop 1.5 s', 64, busyLoop(1500)),
]
console.log('| stall | callers | calls still failing after Redis recovered |\n|---|--:|--:|')
for (const row of rows) console.log(row)
