// Read-through: the cache loads a missing value itself, once across all callers and processes.
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'

export async function main(redisUrl: string): Promise<string[]> {
  const log: string[] = []
  const redis = new Redis(redisUrl)
  const users = new FlipCache<number, { name: string }>(`users-through-${Date.now()}`, {
    redis,
    keyType: 'int',
    expireTime: '10m',
  })
  let loads = 0
  const loadUser = async (id: number) => {
    loads++
    await new Promise((resolve) => setTimeout(resolve, 20))
    return { name: `user ${id}` }
  }

  // 100 concurrent callers, one loader call.
  const answers = await Promise.all(
    Array.from({ length: 100 }, () => users.getOrSet(7, ({ key }) => loadUser(key))),
  )
  log.push(`answers ${answers.length}, loader calls ${loads}`)

  // wrap(): the same, as a memoized function.
  const cachedUser = users.wrap(loadUser)
  log.push(`wrapped ${(await cachedUser(7)).name}, loader calls ${loads}`)

  await users.close()
  redis.disconnect()
  return log
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379); ioredis-mock cannot stand in: see docs/read-through.md.
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log((await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')).join('\n'))
}
