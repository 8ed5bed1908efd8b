import type { Redis } from 'ioredis'
import type { RateLimitAlgorithm } from '../../src/index.js'
import { RateLimiter } from '../support/flipcache.js'

/** The limits the memory of one key is measured at (the sliding log allows at most 10,000). */
export const memoryLimits = [1, 10, 100, 1000, 10_000]

/** `MEMORY USAGE key SAMPLES 0` (every element counted), in bytes. */
async function bytesOf(redis: Redis, key: string): Promise<number> {
  const bytes = await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')
  if (typeof bytes !== 'number') throw new Error(`MEMORY USAGE found no key ${key}`)
  return bytes
}

/** What one key of `algorithm` holds once it has admitted its whole `limit`, per limit of {@link memoryLimits}. */
export async function limiterBytes(
  redis: Redis,
  name: string,
  algorithm: RateLimitAlgorithm,
): Promise<number[]> {
  const bytes: number[] = []
  for (const limit of memoryLimits) {
    const limiter = new RateLimiter(`${name}:${limit}`, { redis, algorithm, limit, window: 60_000 })
    try {
      // One unit a hit, as users hit it: each sliding-log member a hit of its own.
      for (let start = 0; start < limit; start += 500) {
        await Promise.all(Array.from({ length: Math.min(500, limit - start) }, () => limiter.hit('user')))
      }
      bytes.push(await bytesOf(redis, `${limiter.name}:user`))
      await limiter.reset('user')
    } finally {
      await limiter.close()
    }
  }
  return bytes
}

/** The same for the article's sorted set (`max` members of the client's time in seconds). */
export async function articleBytes(redis: Redis, key: string): Promise<number[]> {
  const bytes: number[] = []
  for (const limit of memoryLimits) {
    const start = Date.now() / 1000
    const members = Array.from({ length: limit }, (_, index) => start + index / 1000)
    await redis.zadd(key, ...members.flatMap((member) => [member, String(member)]))
    await redis.expire(key, 60)
    bytes.push(await bytesOf(redis, key))
    await redis.del(key)
  }
  return bytes
}

/** `limit → bytes` pairs, for the report. */
export const describeBytes = (bytes: number[]): string =>
  bytes
    .map(
      (each, index) =>
        `${(memoryLimits[index] ?? 0).toLocaleString('en-US')} → ${each.toLocaleString('en-US')} B`,
    )
    .join(', ')
