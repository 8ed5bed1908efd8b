// Measures the CPU a tracking invalidation of one hash bucket costs a cache holding 10,000 L1
// entries (issue 12, section 5): another client writes one field at a time into one bucket, and
// the cache's process CPU is divided by the invalidations it heard.
// Run: npx tsx bench/probes/bucket-invalidation.ts [entries] [writes]
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js'
import { startRedisServer } from '../../test/support/redis-server.js'

const entries = Number(process.argv[2] ?? 10_000)
const writes = Number(process.argv[3] ?? 2_000)
const bucketSize = 100
const server = await startRedisServer()
const client = new Redis(server.url)
const writer = new Redis(server.url)
const cache = new FlipCache<number, string>('probe', {
  redis: client,
  keyType: 'int',
  valueType: 'string',
  localMax: entries,
  sync: 'tracking',
  storage: { kind: 'hash', bucketSize },
})
await cache.ready()
const all = Array.from({ length: entries }, (_, key) => key)
await cache.setMany(all.map((key) => [key, `v${key}`]))
// Redis's tracking tells this client of its own writes too: let those invalidations pass first.
await new Promise((resolve) => setTimeout(resolve, 300))
await cache.getMany(all)
if (cache.stats().localSize !== entries) throw new Error(`L1 holds ${cache.stats().localSize}`)

let heard = 0
cache.on('invalidate', () => {
  heard++
})
// Bucket 0 holds keys 0..99: each write there invalidates that bucket (up to 100 L1 entries).
const bucketKey = 'probe:b:0'
const cpuBefore = process.cpuUsage()
const started = performance.now()
for (let write = 0; write < writes; write++) {
  await writer.hset(bucketKey, String(write % bucketSize), 'x')
  // Refill the bucket's keys now and then, so that most invalidations find entries to drop.
  if (write % 50 === 49) await cache.getMany(all.slice(0, bucketSize))
}
// The last invalidations are on their way; wait until they are all heard.
const deadline = Date.now() + 10_000
while (heard < writes && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
const elapsed = performance.now() - started
const cpu = process.cpuUsage(cpuBefore)
const cpuMs = (cpu.user + cpu.system) / 1000
console.log(
  `${entries} L1 entries, ${writes} bucket writes, ${heard} invalidations heard in ${Math.round(elapsed)} ms; ` +
    `process CPU ${Math.round(cpuMs)} ms, ${((cpuMs / Math.max(1, heard)) * 1000).toFixed(0)} µs per invalidation ` +
    '(includes the writer client and the refills)',
)
await cache.close()
client.disconnect()
writer.disconnect()
await server.stop()
