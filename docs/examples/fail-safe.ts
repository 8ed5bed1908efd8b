// Fail-safe: when the loader fails (or passes its soft timeout) and a stale value is within grace,
// that value is served and the failure is reported on 'error'. Without one, the caller gets E_LOADER.
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const redis = new Redis(redisUrl)
  const stock = new FlipCache<string, number>(`stock-safe-${Date.now()}`, {
    redis,
    valueType: 'int',
    expireTime: 50,
    grace: '1d',
    loaderTimeout: 200, // wait up to 200 ms for a fresh value before serving the stale one
  })
  stock.on('error', (error) => log.push(`reported ${error.code}`))

  log.push(`loaded ${await stock.getOrSet('sku-1', async () => 12)}`)
  await sleep(80) // stale now
  const failing = async (): Promise<number> => {
    throw new Error('inventory service down')
  }
  log.push(`served ${await stock.getOrSet('sku-1', failing)}`)
  const error = await stock.getOrSet('sku-2', failing).catch((caught: { code: string }) => caught)
  log.push(`no stale value: ${(error as { code: string }).code}`)

  await stock.close()
  redis.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
