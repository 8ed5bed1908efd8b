// Cache-aside, by hand: read the cache, load on a miss, write the cache. Simple, and wrong under
// load: every caller that misses at once runs the loader (see read-through.ts for the cure).
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const redis = new Redis(redisUrl)
  const prices = new FlipCache<string, number>(`prices-aside-${Date.now()}`, { redis, valueType: 'float' })
  const loadPrice = async (sku: string): Promise<number> => {
    log.push(`loading ${sku}`)
    return 9.99
  }

  let price = await prices.get('sku-1')
  if (price === undefined) {
    price = await loadPrice('sku-1')
    await prices.set('sku-1', price, { expireTime: '5m' })
  }
  log.push(`price ${price}`)
  log.push(`cached ${await prices.get('sku-1')}`)

  await prices.close()
  redis.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
