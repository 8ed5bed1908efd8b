// Measures what creating and closing caches on one long-lived client leaves behind (issue 12, section 5):
// heap growth per cache created and closed, with one cache of each sync mode staying open.
// Run: node --expose-gc --import tsx bench/probes/cache-churn.ts [count] [sync]
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js'
import { startRedisServer } from '../../test/support/redis-server.js'

const count = Number(process.argv[2] ?? 10_000)
const sync = (process.argv[3] ?? 'pubsub') as 'pubsub' | 'tracking' | 'none'
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')

async function heap(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return process.memoryUsage().heapUsed
}

const server = await startRedisServer()
const client = new Redis(server.url)
const keeper = new FlipCache<string, string>('keeper', { redis: client, valueType: 'string', sync })
await keeper.ready()
async function churn(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const cache = new FlipCache<string, string>(`churn-${i}-${Math.random().toString(36).slice(2)}`, {
      redis: client,
      valueType: 'string',
      sync,
    })
    await cache.ready()
    await cache.set('k', 'v')
    await cache.get('k')
    await cache.close()
  }
}
await churn(200)
const before = await heap()
const started = performance.now()
await churn(count)
const elapsed = performance.now() - started
const after = await heap()
const tracking = sync === 'tracking' ? String(await client.call('CLIENT', 'LIST')) : ''
console.log(
  `sync ${sync}: ${count} caches created and closed in ${Math.round(elapsed)} ms; heap +${((after - before) / 1e6).toFixed(2)} MB (${Math.round((after - before) / count)} B per cache)`,
)
if (sync === 'tracking') {
  const line = tracking.split('\n').find((l) => l.includes('flags=t')) ?? ''
  console.log(`tracking connection: ${line.replace(/.*(flags=\S+).*/, '$1')}`)
}
await keeper.close()
client.disconnect()
await server.stop()
