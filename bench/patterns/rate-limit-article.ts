import type { Redis } from 'ioredis'

/**
 * Article 003's `is_rate_limited` ("Rate Limiting with Sorted Sets"), ported to ioredis: the member
 * and score are the client's time in seconds (`time.time()`; here `Date.now() / 1000`, so
 * millisecond resolution). Returns whether the hit is allowed.
 */

/** As the article writes it: ZREMRANGEBYSCORE, ZCARD, then ZADD and EXPIRE, each awaited (3 or 4 round trips). */
export async function articleAsWritten(
  redis: Redis,
  key: string,
  max: number,
  windowS: number,
): Promise<boolean> {
  const now = Date.now() / 1000
  await redis.zremrangebyscore(key, 0, now - windowS)
  if ((await redis.zcard(key)) >= max) return false
  await redis.zadd(key, now, String(now))
  await redis.expire(key, windowS)
  return true
}

/**
 * The same four commands in one MULTI (one round trip), as one would speed it up: ZADD can no longer
 * wait for ZCARD's answer, so every hit is added, denied ones too.
 */
export async function articleInMulti(
  redis: Redis,
  key: string,
  max: number,
  windowS: number,
): Promise<boolean> {
  const now = Date.now() / 1000
  const replies = await redis
    .multi()
    .zremrangebyscore(key, 0, now - windowS)
    .zcard(key)
    .zadd(key, now, String(now))
    .expire(key, windowS)
    .exec()
  const counted = replies?.[1]?.[1]
  if (typeof counted !== 'number') throw new Error(`Unexpected MULTI reply for ${key}`)
  return counted < max
}
