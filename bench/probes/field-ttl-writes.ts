// What the field-TTL path costs a write and a read, against the header path, on one Redis 8 server
// (issue 18): sequential set, setMany(100) and getMany(100) (L1 off, so with HPTTL) in alternating
// rounds, and the server's CPU per 1,000 entries (INFO cpu around each round).
// Run: npx tsx bench/probes/field-ttl-writes.ts [rounds]   (FLIPCACHE_REDIS_SERVER: a Redis 8+ binary;
// by default the one CI builds, /var/cache/flipcache-ci/redis-8.0.2/bin/redis-server)
import { existsSync } from 'node:fs'
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js'
import { startRedisServer } from '../../test/support/redis-server.js'

const ciRedis8 = '/var/cache/flipcache-ci/redis-8.0.2/bin/redis-server'
if (process.env.FLIPCACHE_REDIS_SERVER === undefined && existsSync(ciRedis8))
  process.env.FLIPCACHE_REDIS_SERVER = ciRedis8
const rounds = Number(process.argv[2] ?? 20)
const server = await startRedisServer()
const client = new Redis(server.url)
const admin = new Redis(server.url)
const fields = (await admin.call('COMMAND', 'INFO', 'HSETEX')) as unknown[]
if (!Array.isArray(fields[0])) throw new Error(`${server.version} has no HSETEX: give a Redis 8+ binary`)

type Mode = 'auto' | 'header'
const caches = new Map<Mode, FlipCache<number, { id: number; name: string }>>()
for (const mode of ['auto', 'header'] as const) {
  const cache = new FlipCache<number, { id: number; name: string }>(`w-${mode}`, {
    redis: client,
    keyType: 'int',
    valueType: 'msgpack',
    expireTime: '1h',
    localMax: 0,
    sync: 'none',
    storage: { kind: 'hash', bucketSize: 100, entryExpiry: mode },
  })
  await cache.ready()
  caches.set(mode, cache)
}

async function cpuMs(): Promise<number> {
  const info = await admin.info('cpu')
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0)
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000
}

const kinds = ['set', 'setMany', 'getMany'] as const
const times = new Map<string, number[]>()
const cpu = new Map<string, number[]>()
const entries = 1000
for (let round = 0; round < rounds; round++) {
  for (const mode of round % 2 === 0 ? (['auto', 'header'] as const) : (['header', 'auto'] as const)) {
    const cache = caches.get(mode) as FlipCache<number, { id: number; name: string }>
    for (const kind of kinds) {
      const cpuBefore = await cpuMs()
      const started = performance.now()
      if (kind === 'set') {
        for (let key = 0; key < entries; key++) await cache.set(key, { id: key, name: `user ${key}` })
      } else {
        for (let first = 0; first < entries; first += 100) {
          const keys = Array.from({ length: 100 }, (_, index) => first + index)
          if (kind === 'setMany')
            await cache.setMany(keys.map((key) => [key, { id: key, name: `user ${key}` }]))
          else await cache.getMany(keys)
        }
      }
      const elapsed = performance.now() - started
      const spent = (await cpuMs()) - cpuBefore
      const name = `${kind} ${mode}`
      times.set(name, [...(times.get(name) ?? []), elapsed])
      cpu.set(name, [...(cpu.get(name) ?? []), spent])
    }
  }
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
console.log(`Redis ${server.version}, ${rounds} alternating rounds of ${entries} entries, medians:`)
for (const kind of kinds) {
  const auto = median(times.get(`${kind} auto`) ?? [])
  const header = median(times.get(`${kind} header`) ?? [])
  const autoCpu = median(cpu.get(`${kind} auto`) ?? [])
  const headerCpu = median(cpu.get(`${kind} header`) ?? [])
  console.log(
    `${kind.padEnd(8)} field TTLs ${((auto / entries) * 1000).toFixed(1)} µs/entry, header ${((header / entries) * 1000).toFixed(1)} µs/entry (x${(header / auto).toFixed(2)} throughput); Redis CPU per 1,000: field TTLs ${autoCpu.toFixed(1)} ms, header ${headerCpu.toFixed(1)} ms`,
  )
}
for (const cache of caches.values()) await cache.close()
client.disconnect()
admin.disconnect()
await server.stop()
