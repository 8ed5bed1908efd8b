// Tags: entries that belong together (a user's pages, a product's variants) are invalidated
// together, on every instance, by one call whose cost in Redis does not grow with their number.
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const name = `pages-${Date.now()}`
  // Two instances of one cache, as two processes would have.
  const [redisA, redisB] = [new Redis(redisUrl), new Redis(redisUrl)]
  const a = new FlipCache<string, string>(name, { redis: redisA, valueType: 'string', expireTime: '1h' })
  const b = new FlipCache<string, string>(name, { redis: redisB, valueType: 'string', expireTime: '1h' })
  await Promise.all([a.ready(), b.ready()])

  await a.set('/users/7', 'profile of 7', { tags: ['user:7'] })
  await a.set('/users/7/posts', 'posts of 7', { tags: ['user:7', 'posts'] })
  await a.set('/users/8', 'profile of 8', { tags: ['user:8'] })
  // getOrSet stores what it loads with the call's tags.
  const feed = await b.getOrSet('/feed', async () => 'the feed', { tags: ['posts'] })
  log.push(`b loaded ${feed}; b reads ${await b.get('/users/7/posts')} (now in b's L1)`)

  await a.invalidateTags(['user:7']) // one HINCRBY in Redis, one message to the others
  log.push(`a: /users/7 ${await a.get('/users/7')}, /users/8 ${await a.get('/users/8')}`)
  // b hears it within the invalidation delay; then its L1 copy is no longer served.
  while (b.peek('/users/7/posts') !== undefined) await new Promise((resolve) => setTimeout(resolve, 5))
  log.push(`b: /users/7/posts ${await b.get('/users/7/posts')}, /feed ${await b.get('/feed')}`)

  await Promise.all([a.close(), b.close()])
  redisA.disconnect()
  redisB.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
