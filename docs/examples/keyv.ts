// flipcache under Keyv and cache-manager: two instances (as two processes would be) share one
// namespace; a write on one is read by the other, whose L1 copy the next write invalidates.
import { createCache } from 'cache-manager'
import { Redis } from 'ioredis'
import Keyv from 'keyv'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'
import { FlipCacheKeyvStore } from '../../src/keyv/index.js' // in your code: from 'flipcache-redis/keyv'

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const name = `prices-keyv-${Date.now()}`
  // One FlipCache per process, holding Keyv's serialized values as they are: valueType 'string'.
  const redisA = new Redis(redisUrl)
  const redisB = new Redis(redisUrl)
  const cacheA = new FlipCache<string, string>(name, { redis: redisA, valueType: 'string', expireTime: '1h' })
  const cacheB = new FlipCache<string, string>(name, { redis: redisB, valueType: 'string', expireTime: '1h' })
  await Promise.all([cacheA.ready(), cacheB.ready()])

  const a = createCache({ stores: [new Keyv({ store: new FlipCacheKeyvStore(cacheA) })], ttl: 60_000 })
  const b = createCache({ stores: [new Keyv({ store: new FlipCacheKeyvStore(cacheB) })], ttl: 60_000 })

  await a.set('sku-1', 9.99)
  // b hears of a's write (pub/sub) before it reads here: a notice landing after b's read would drop
  // the copy that read just made (harmless: one more Redis read), and the next line would say false.
  while (cacheB.stats().invalidationsReceived === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  log.push(`b reads ${await b.get('sku-1')}`)
  // Keyv prefixed its namespace ('keyv'): the Redis key is `${name}:keyv:sku-1`.
  log.push(`b holds it in L1: ${cacheB.peek('keyv:sku-1') !== undefined}`)

  await a.set('sku-1', 12.5)
  // The other instance hears of the write (pub/sub) and drops its copy.
  while (cacheB.peek('keyv:sku-1') !== undefined) await new Promise((resolve) => setTimeout(resolve, 5))
  log.push(`b reads ${await b.get('sku-1')} after the change`)

  await Promise.all([cacheA.close(), cacheB.close()])
  redisA.disconnect()
  redisB.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379).
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
