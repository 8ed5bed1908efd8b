// Measures the staleness bound under a silent partition, for issue 12: a reader holds a key in L1,
// its subscriber connection goes silent behind a TCP proxy (no FIN, no RST), a writer on another
// connection changes the key; how long does the reader still return the old value? Also counts the
// heartbeat's PUBLISHes per second on an idle client.
// Run: npx tsx bench/probes/silent-partition.ts (about half a minute; not part of npm run bench)
import { Redis } from 'ioredis'
import { FlipCache, type FlipCacheOptions } from '../../src/index.js'
import { startRedisServer } from '../../test/support/redis-server.js'
import { startTcpProxy } from '../../test/support/tcp-proxy.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const server = await startRedisServer()
const admin = new Redis(server.url)

async function staleFor(maxStaleness: FlipCacheOptions<string, string>['maxStaleness']): Promise<number> {
  const link = await startTcpProxy(server.port)
  const name = `partition-${Math.random().toString(16).slice(2)}`
  const options = { valueType: 'string', localTtl: '1h', maxStaleness } as const
  const writerClient = new Redis(server.url)
  const readerClient = new Redis(link.url)
  readerClient.on('error', () => {})
  const writer = new FlipCache<string, string>(name, { ...options, redis: writerClient })
  const reader = new FlipCache<string, string>(name, { ...options, redis: readerClient })
  reader.on('error', () => {})
  await Promise.all([writer.ready(), reader.ready()])
  await writer.set('k', 'old')
  while (reader.peek('k') !== 'old') {
    await reader.get('k')
    await sleep(10)
  }
  // Anywhere in the heartbeat's cycle.
  await sleep(Math.random() * 1000)
  for (const connection of link.connectionsWith('subscribe')) connection.mode = 'blackhole'
  await writer.set('k', 'new')
  const writtenAt = performance.now()
  let stale = Number.POSITIVE_INFINITY
  const deadline = writtenAt + 20_000
  while (performance.now() < deadline) {
    if ((await reader.get('k')) === 'new') {
      stale = performance.now() - writtenAt
      break
    }
    await sleep(5)
  }
  await Promise.all([writer.close(), reader.close()])
  writerClient.disconnect()
  readerClient.disconnect()
  await link.close()
  return stale
}

async function heartbeatsPerSecond(caches: number): Promise<number> {
  const client = new Redis(server.url)
  const made = Array.from({ length: caches }, (_, index) => new FlipCache(`beat-${index}`, { redis: client }))
  await Promise.all(made.map((cache) => cache.ready()))
  const calls = async () =>
    Number(/cmdstat_publish:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0)
  const before = await calls()
  const startedAt = performance.now()
  await sleep(10_000)
  const rate = ((await calls()) - before) / ((performance.now() - startedAt) / 1000)
  await Promise.all(made.map((cache) => cache.close()))
  client.disconnect()
  return rate
}

const rows: string[] = []
for (const bound of ['2s', '1s'] as const) {
  const samples: number[] = []
  for (let run = 0; run < 5; run++) samples.push(await staleFor(bound))
  samples.sort((a, b) => a - b)
  rows.push(
    `| maxStaleness ${bound} | ${samples.map((ms) => Math.round(ms)).join(', ')} ms | max ${Math.round(samples.at(-1) ?? 0)} ms |`,
  )
}
console.log('| setting | old value served after the write, 5 runs | worst |\n|---|---|--:|')
for (const row of rows) console.log(row)
console.log(
  `heartbeat: ${(await heartbeatsPerSecond(10)).toFixed(2)} PUBLISH/s for one client with 10 caches`,
)
admin.disconnect()
await server.stop()
