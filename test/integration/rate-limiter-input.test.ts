import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import {
  DecodeError,
  FlipCacheError,
  RateLimitAlgorithm,
  RateLimiter,
  type RateLimiterOptions,
} from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { freePort } from '../support/redis-server.js'

const algorithms = Object.values(RateLimitAlgorithm)
const clients: Redis[] = []
const limiters: RateLimiter<unknown>[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()))
  for (const client of clients.splice(0)) client.disconnect()
})

function client(url = inject('redisUrl')): Redis {
  const created = new Redis(url)
  created.on('error', () => {})
  clients.push(created)
  return created
}

function limiter<K = string>(
  options: Partial<RateLimiterOptions<K>>,
  name = uniqueName('rl'),
): RateLimiter<K> {
  const created = new RateLimiter<K>(name, {
    redis: clients[0] ?? client(),
    limit: 3,
    window: 60_000,
    ...options,
  })
  limiters.push(created as RateLimiter<unknown>)
  return created
}

describe('RateLimiter options', () => {
  it.each([
    [{ limit: 0 }, /`limit` to be an integer from 1 to 10000 with 'sliding-log'.*`0`/],
    [{ limit: 1.5 }, /`limit`.*`1.5`/],
    [{ limit: '10' }, /`limit`.*`'10'` \(string\)/],
    [{ limit: undefined }, /`limit`.*`undefined`/],
    [{ limit: 10_001 }, /`limit` to be an integer from 1 to 10000/],
    [{ limit: 1_000_000_001, algorithm: 'fixed-window' }, /`limit` to be an integer from 1 to 1000000000/],
    [{ window: undefined }, /`window`.*`undefined`/],
    [{ window: 0 }, /`window` to be more than 0 ms/],
    [{ window: -5 }, /Invalid `window`/],
    [{ window: '5 parsecs' }, /Invalid `window`/],
    [{ window: 1.5 }, /Invalid `window`/],
    [{ window: '6000w' }, /`window` to be at most 100 years/],
    [
      { algorithm: 'token-bucket' },
      /`algorithm` to be one of 'sliding-log', 'sliding-window', 'fixed-window'.*'token-bucket'/,
    ],
    [{ limits: 5 }, /Unknown option `limits`/],
    [{ hashTag: 'yes' }, /`hashTag` to be a boolean/],
    [{ timeout: 0 }, /`timeout` to be more than 0 ms/],
  ])('the constructor refuses %o with a TypeError naming it', (bad, message) => {
    const options = {
      redis: client(),
      limit: 3,
      window: 1000,
      ...bad,
    } as unknown as RateLimiterOptions<string>
    expect(() => new RateLimiter('rl', options)).toThrow(TypeError)
    expect(() => new RateLimiter('rl', options)).toThrow(message)
  })

  it('the constructor refuses a bad name, and a missing options object', () => {
    expect(() => new RateLimiter('has space', { redis: client(), limit: 1, window: 1000 })).toThrow(TypeError)
    expect(() => new RateLimiter('rl', undefined as unknown as RateLimiterOptions<string>)).toThrow(
      /options to be an object/,
    )
  })

  it('the default algorithm is the sliding log, and the options are readable', () => {
    const limits = limiter({ limit: 7, window: '1m' })
    expect({ algorithm: limits.algorithm, limit: limits.limit, windowMs: limits.windowMs }).toEqual({
      algorithm: 'sliding-log',
      limit: 7,
      windowMs: 60_000,
    })
  })
})

describe.each(algorithms)('RateLimiter %s inputs and failures', (algorithm) => {
  it.each([0, -1, 1.5, 4, Number.NaN, '1'])(
    'hit() and peek() refuse a cost of %o with a TypeError',
    async (cost) => {
      const limits = limiter({ algorithm })
      await expect(limits.hit('k', cost as number)).rejects.toThrow(
        /`cost` to be an integer from 1 to the limit \(3\)/,
      )
      await expect(limits.peek('k', cost as number)).rejects.toThrow(TypeError)
    },
  )

  it('hit() refuses a key of the wrong type with a TypeError', async () => {
    const limits = limiter<number>({ algorithm, keyType: 'int' })
    await expect(limits.hit('seven' as unknown as number)).rejects.toThrow(TypeError)
    expect((await limits.hit(7)).allowed).toBe(true)
    expect(await (clients[0] as Redis).exists(`${limits.name}:7`)).toBe(1)
  })

  /** A key ahead of the server's clock by ten windows, in the algorithm's own layout. */
  const fromTheFuture = async (redis: Redis, key: string): Promise<void> => {
    const [seconds] = await redis.time()
    const aheadMs = (Number(seconds) + 600) * 1000
    if (algorithm === 'sliding-log') await redis.zadd(key, aheadMs * 1000, String(aheadMs * 1000))
    if (algorithm === 'sliding-window') await redis.hset(key, 's', aheadMs, 'c', 1, 'p', 0)
    if (algorithm === 'fixed-window') await redis.set(key, '1')
    await redis.pexpire(key, algorithm === 'fixed-window' ? 600_000 : 60_000)
  }

  it.each([
    [
      'a key of another type',
      (redis: Redis, key: string) => redis.sadd(key, 'x').then(() => redis.pexpire(key, 60_000)),
    ],
    [
      'a value that is not a count',
      (redis: Redis, key: string) => redis.set(key, 'x'.repeat(20), 'PX', 60_000),
    ],
    [
      'a key without expiry',
      (redis: Redis, key: string) =>
        algorithm === 'sliding-log' ? redis.zadd(key, 1, 'never-expires') : redis.set(key, '1'),
    ],
    ['a key from ten windows ahead', fromTheFuture],
  ])('hit() on %s reports E_DECODE, resets it and counts from zero', async (_, damage) => {
    const limits = limiter({ algorithm })
    const errors: FlipCacheError[] = []
    limits.on('error', (error) => errors.push(error))
    const key = `${limits.name}:k`
    await damage(clients[0] as Redis, key)
    expect(await limits.hit('k')).toMatchObject({ allowed: true, remaining: 2 })
    await expect.poll(() => errors.length).toBe(1)
    expect(errors[0]).toBeInstanceOf(DecodeError)
    expect(errors[0]?.code).toBe('E_DECODE')
    const ttl = await (clients[0] as Redis).pttl(key)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(120_000)
  })

  it('hit() on a state written by hand with fractions neither fails nor reports it', async () => {
    const limits = limiter({ algorithm })
    const errors: FlipCacheError[] = []
    limits.on('error', (error) => errors.push(error))
    const redis = clients[0] as Redis
    const key = `${limits.name}:k`
    const [seconds] = await redis.time()
    if (algorithm === 'sliding-window')
      await redis.hset(key, 's', `${Number(seconds) * 1000 - 0.5}`, 'c', '1.5', 'p', '0.25')
    if (algorithm === 'sliding-log') await redis.zadd(key, Number(seconds) * 1_000_000 - 0.5, 'by-hand')
    if (algorithm === 'fixed-window') await redis.set(key, '1')
    await redis.pexpire(key, 30_000)
    expect(await limits.hit('k')).toMatchObject({ allowed: true })
    expect(errors).toEqual([])
  })

  it('calls after close() reject with E_CLOSED; close() leaves a shared client open', async () => {
    const limits = limiter({ algorithm })
    await limits.close()
    await expect(limits.hit('k')).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(limits.peek('k')).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(limits.reset('k')).rejects.toMatchObject({ code: 'E_CLOSED' })
    expect(await (clients[0] as Redis).ping()).toBe('PONG')
  })

  it('hit() rejects with a coded error, without hanging, when Redis cannot be reached', async () => {
    const redis = client(`redis://127.0.0.1:${await freePort()}`)
    const limits = limiter({ algorithm, redis, timeout: 200 })
    const startedAt = performance.now()
    const error = await limits.hit('k').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(FlipCacheError)
    expect(['E_REDIS', 'E_TIMEOUT']).toContain((error as FlipCacheError).code)
    expect(performance.now() - startedAt).toBeLessThan(3_200)
  })
})

describe('RateLimiter sliding-log members', () => {
  it('are unique for hits in the same microsecond and for a cost above 1: each new one is past the newest held', async () => {
    const limits = limiter({ limit: 10 })
    const redis = clients[0] as Redis
    const key = `${limits.name}:k`
    // A member a little ahead of the server's clock: every new hit lands in "its" microsecond or before.
    const [seconds, micros] = await redis.time()
    const ahead = Number(seconds) * 1_000_000 + Number(micros) + 5_000_000
    await redis.zadd(key, ahead, String(ahead))
    await redis.pexpire(key, 60_000)
    expect(await limits.hit('k', 3)).toMatchObject({ allowed: true, remaining: 6 })
    expect(await limits.hit('k', 2)).toMatchObject({ allowed: true, remaining: 4 })
    const members = await redis.zrange(key, '0', '-1')
    expect(members).toEqual([0, 1, 2, 3, 4, 5].map((offset) => String(ahead + offset)))
  })
})
