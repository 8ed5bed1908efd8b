// Stale-while-revalidate: past expireTime but within grace, callers get the stale value at once
// while one background load refreshes it.
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const redis = new Redis(redisUrl)
  const rates = new FlipCache<string, number>(`rates-swr-${Date.now()}`, {
    redis,
    valueType: 'float',
    expireTime: 100, // fresh for 100 ms
    grace: '1h', // then stale, but servable, for an hour
  })
  let version = 1
  const loadRate = async () => {
    await sleep(50)
    return version++
  }

  log.push(`first ${await rates.getOrSet('EUR', loadRate)}`)
  await sleep(150) // now stale
  const startedAt = Date.now()
  log.push(`stale ${await rates.getOrSet('EUR', loadRate)} at once: ${Date.now() - startedAt < 40}`)
  await sleep(100) // the background refresh has landed
  log.push(`refreshed ${await rates.getOrSet('EUR', loadRate)}`)

  await rates.close()
  redis.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
