// Loaders that decide: the loader's context says how long its value lives (ctx.setTtl), that it is
// not to be cached (ctx.skip), or that the load failed (ctx.fail); "not found" results are kept
// for notFoundTtl, never through grace.
import { Redis } from 'ioredis'
import { FlipCache, typed } from '../../src/index.js' // in your code: from 'flipcache-redis'

interface Token {
  value: string
  expiresInMs: number
}
interface Product {
  name: string
  draft: boolean
}

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const redis = new Redis(redisUrl)
  const suffix = Date.now()

  // An access token, cached until it expires (known only once it is fetched).
  const tokens = new FlipCache<string, Token>(`tokens-${suffix}`, { redis, valueType: typed.json<Token>() })
  const fetchToken = async (): Promise<Token> => ({ value: 'tok-1', expiresInMs: 3_000 })
  const token = await tokens.getOrSet('api', async ({ setTtl }) => {
    const fetched = await fetchToken()
    setTtl(fetched.expiresInMs)
    return fetched
  })
  const tokenTtl = (await tokens.ttl('api')) ?? 0
  log.push(`token ${token.value} cached for at most 3 s: ${tokenTtl > 0 && tokenTtl <= 3_000}`)

  // Products: a draft is served but not cached; a missing one is kept 2 s, not the hour nor the grace.
  const products = new FlipCache<number, Product | null>(`products-${suffix}`, {
    redis,
    keyType: 'int',
    valueType: typed.json<Product | null>(),
    expireTime: '1h',
    grace: '1d',
    notFoundTtl: '2s',
  })
  const rows = new Map<number, Product>([[1, { name: 'Lamp', draft: true }]])
  let queries = 0
  const loadProduct = async ({
    key,
    skip,
    fail,
  }: {
    key: number
    skip(): void
    fail(error: unknown): never
  }) => {
    queries++
    if (key < 0) return fail(new Error(`no product can have id ${key}`))
    const row = rows.get(key) ?? null
    if (row?.draft) skip()
    return row
  }
  log.push(
    `draft ${(await products.getOrSet(1, loadProduct))?.name}, cached: ${(await products.get(1)) !== undefined}`,
  )
  await products.getOrSet(404, loadProduct)
  await products.getOrSet(404, loadProduct)
  const notFoundTtl = (await products.ttl(404)) ?? 0
  log.push(`not found: ${queries - 1} query, kept at most 2 s: ${notFoundTtl > 0 && notFoundTtl <= 2_000}`)
  const failed = await products.getOrSet(-1, loadProduct).catch((error: Error) => error)
  log.push(`failed: ${(failed as { code?: string }).code} (${((failed as Error).cause as Error).message})`)

  await Promise.all([tokens.close(), products.close()])
  redis.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
