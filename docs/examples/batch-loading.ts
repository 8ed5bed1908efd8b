// Batch loading: getOrSetMany reads many keys in one round trip and loads the missing ones with one
// loader call (one SQL `WHERE id IN (...)`, one HTTP batch request), each key once across processes.
import { Redis } from 'ioredis'
import { FlipCache, LoaderResultError } from '../../src/index.js' // in your code: from 'flipcache-redis'

interface Product {
  id: number
  name: string
}

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const redis = new Redis(redisUrl)
  const products = new FlipCache<number, Product>(`products-${Date.now()}`, { redis, keyType: 'int' })

  // The source: one query for many ids (here, a Map standing in for a database table).
  const table = new Map([1, 2, 3, 4].map((id) => [id, { id, name: `product ${id}` }]))
  const queries: number[][] = []
  const loadProducts = async (ids: number[]): Promise<Map<number, Product>> => {
    queries.push(ids)
    return new Map(ids.map((id) => [id, table.get(id) ?? { id, name: 'unknown' }]))
  }

  await products.set(2, { id: 2, name: 'cached 2' })
  const first = await products.getOrSetMany([1, 2, 3, 1], loadProducts)
  log.push(`first: ${first.map((product) => product.name).join(', ')}`)
  log.push(`queried: ${JSON.stringify(queries)}`) // 2 was cached, 1 asked twice: one query for [1, 3]

  // A getOrSet of a key the batch stored reads it; a second batch loads only what is new.
  log.push(`getOrSet: ${(await products.getOrSet(3, async () => ({ id: 3, name: 'never' }))).name}`)
  const second = await products.getOrSetMany([3, 4], loadProducts)
  log.push(
    `second: ${second.map((product) => product.name).join(', ')}; queried: ${JSON.stringify(queries.at(-1))}`,
  )

  // A loader that answers for fewer keys than asked fails the call with E_LOADER_RESULT.
  const partial = async (ids: number[]): Promise<Product[]> => ids.slice(1).map((id) => ({ id, name: '?' }))
  const error = await products.getOrSetMany([5, 6], partial).catch((caught: unknown) => caught)
  log.push(`partial: ${error instanceof LoaderResultError ? error.code : 'no error'}`)

  await products.close()
  redis.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
