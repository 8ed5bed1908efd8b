// Counts the lines an 'error' listener gets during a Redis outage (issue 17, section 3): a getOrSet
// and a get every ~25 ms on a private redis-server while it is stopped, then restarted.
// Run: npx tsx bench/probes/outage-error-lines.ts [outage ms]
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js'
import { startRedisServer } from '../../test/support/redis-server.js'

const outageMs = Number(process.argv[2] ?? 5000)
const server = await startRedisServer()
const client = new Redis(server.url)
client.on('error', () => {})
const cache = new FlipCache<string, string>('user', { redis: client, valueType: 'string', timeout: 200 })
await cache.set('1', 'a')
const lines: string[] = []
cache.on('error', (error) => lines.push(`${(error as { code: string }).code} ${error.message}`))
await server.stop()
const until = Date.now() + outageMs
let calls = 0
let rejected = 0
while (Date.now() < until) {
  calls++
  const key = String(calls % 10)
  await Promise.all([
    cache.getOrSet(key, async () => 'loaded').catch(() => rejected++),
    cache.get(key).catch(() => rejected++),
  ])
  await new Promise((resolve) => setTimeout(resolve, 20))
}
await server.restart()
await new Promise((resolve) => setTimeout(resolve, 300))
console.log(
  `outage ${outageMs} ms: ${calls} rounds (getOrSet + get), ${rejected} rejections, ${lines.length} 'error' lines, ${cache.stats().errors} stats().errors`,
)
const counts = new Map<string, number>()
for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1)
for (const [line, n] of counts) console.log(`${n} x ${line.slice(0, 300)}`)
await cache.close()
client.disconnect()
await server.stop()
