// Refresh-ahead: a read after a fraction of expireTime returns the value at once and refreshes it
// in the background, so a hot key never expires under its readers.
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const redis = new Redis(redisUrl)
  const feeds = new FlipCache<string, string>(`feeds-ahead-${Date.now()}`, {
    redis,
    valueType: 'string',
    expireTime: 200,
    refreshAhead: 0.5, // refresh reads after 100 ms
  })
  let version = 0
  const loadFeed = async () => `feed v${++version}`

  log.push(await feeds.getOrSet('home', loadFeed))
  await sleep(120)
  log.push(await feeds.getOrSet('home', loadFeed)) // still v1, and a refresh starts
  await sleep(50)
  log.push(await feeds.getOrSet('home', loadFeed)) // v2, before v1 would have expired

  await feeds.close()
  redis.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
