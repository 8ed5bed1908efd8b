// Where a write's time goes (issue 19 §1): sequential raw SET PX against flipcache set (sync
// 'pubsub' and 'none'), setMany(100) against one raw pipeline, and sequential get on an
// enableAutoPipelining client against raw GET, in alternating rounds on one private server.
// Run: npx tsx bench/probes/write-path.ts [rounds]   (add --cpu-prof to node for a profile)
import { Redis } from 'ioredis'
import { startRedisServer } from '../../test/support/redis-server.js'
import { users } from '../support/data.js'
import { FlipCache } from '../support/flipcache.js'

const rounds = Number(process.argv[2] ?? 20)
const only = process.argv[3]
const server = await startRedisServer()
const client = new Redis(server.url)
const autoClient = new Redis(server.url, { enableAutoPipelining: true })
type User = ReturnType<typeof users>[number][1]
const entries = users(100)
const json = entries.map(([key, value]): [string, string] => [key, JSON.stringify(value)])
const TTL = 3_600_000
const pubsub = new FlipCache<string, User>('w-pubsub', { redis: client, expireTime: TTL })
const none = new FlipCache<string, User>('w-none', { redis: client, expireTime: TTL, sync: 'none' })
const autoCache = new FlipCache<string, User>('w-auto', { redis: autoClient, expireTime: TTL, localMax: 0 })
const plainCache = new FlipCache<string, User>('w-plain', { redis: client, expireTime: TTL, localMax: 0 })
const stringNone = new FlipCache<string, string>('w-string', {
  redis: client,
  expireTime: TTL,
  sync: 'none',
  localMax: 0,
  valueType: 'string',
})
const noL1None = new FlipCache<string, User>('w-nol1', {
  redis: client,
  expireTime: TTL,
  sync: 'none',
  localMax: 0,
})
await Promise.all([
  pubsub.ready(),
  none.ready(),
  autoCache.ready(),
  plainCache.ready(),
  stringNone.ready(),
  noL1None.ready(),
])
await autoCache.setMany(entries)
await plainCache.setMany(entries)
for (const [key, value] of json) await client.set(`raw:${key}`, value, 'PX', TTL)

const tasks: Record<string, () => Promise<void>> = {
  'raw SET PX': async () => {
    for (const [key, value] of json) await client.set(`raw:${key}`, value, 'PX', TTL)
  },
  'set pubsub': async () => {
    for (const [key, value] of entries) await pubsub.set(key, value)
  },
  'set none': async () => {
    for (const [key, value] of entries) await none.set(key, value)
  },
  'set string, L1 off, none': async () => {
    for (const [key, value] of json) await stringNone.set(key, value)
  },
  'set superjson, L1 off, none': async () => {
    for (const [key, value] of entries) await noL1None.set(key, value)
  },
  'raw pipeline': async () => {
    const pipeline = client.pipeline()
    for (const [key, value] of json) pipeline.set(`raw:${key}`, value, 'PX', TTL)
    await pipeline.exec()
  },
  'setMany pubsub': () => pubsub.setMany(entries),
  'setMany none': () => none.setMany(entries),
  'raw GET': async () => {
    for (const [key] of json) await client.get(`raw:${key}`)
  },
  'get L1 off, plain client': async () => {
    for (const [key] of entries) await plainCache.get(key)
  },
  'get L1 off, autopipelining client': async () => {
    for (const [key] of entries) await autoCache.get(key)
  },
}
const names = Object.keys(tasks).filter(
  (name) => only === undefined || only.split(',').some((part) => name.includes(part)),
)
const times = new Map<string, number[]>(names.map((name) => [name, []]))
const cpu = new Map<string, number[]>(names.map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? names : [...names].reverse()
  for (const name of order) {
    const cpuBefore = process.cpuUsage()
    const started = performance.now()
    for (let repeat = 0; repeat < 10; repeat++) await tasks[name]?.()
    times.get(name)?.push(performance.now() - started)
    const used = process.cpuUsage(cpuBefore)
    cpu.get(name)?.push((used.user + used.system) / 1000)
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
const us = (name: string) => (median(times.get(name) ?? []) * 1000) / 1000
const base = (name: string) =>
  name.startsWith('setMany') || name === 'raw pipeline'
    ? 'raw pipeline'
    : name.startsWith('get') || name === 'raw GET'
      ? 'raw GET'
      : 'raw SET PX'
for (const name of names) {
  const b = base(name)
  const ratio = times.has(b) ? (us(b) / us(name)).toFixed(3) : '-'
  const cpuUs = median(cpu.get(name) ?? [])
  console.log(
    `${name.padEnd(36)} ${us(name).toFixed(1).padStart(8)} µs/entry  ${ratio}x vs ${b}   client CPU ${cpuUs.toFixed(1)} µs/entry`,
  )
}
await Promise.all([
  pubsub.close(),
  none.close(),
  autoCache.close(),
  plainCache.close(),
  stringNone.close(),
  noL1None.close(),
])
client.disconnect()
autoClient.disconnect()
await server.stop()
