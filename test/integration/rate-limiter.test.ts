import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { FlipCache, RateLimitAlgorithm, RateLimiter, type RateLimiterOptions } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { patience } from '../support/patience.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

const algorithms = Object.values(RateLimitAlgorithm)
/** Long enough that no test crosses a window on a loaded machine, unless it waits for it. */
const longWindow = 60_000

const clients: Redis[] = []
const limiters: RateLimiter<string>[] = []
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()))
  for (const client of clients.splice(0)) client.disconnect()
})

function client(): Redis {
  const created = new Redis(inject('redisUrl'))
  clients.push(created)
  return created
}
const shared = (): Redis => clients[0] ?? client()

function limiter(options: Omit<RateLimiterOptions<string>, 'redis'>, name = uniqueName('rl')): RateLimiter {
  const created = new RateLimiter<string>(name, { redis: shared(), ...options })
  limiters.push(created)
  return created
}

const burst = (of: RateLimiter, count: number, key = 'k', cost = 1) =>
  Promise.all(Array.from({ length: count }, () => of.hit(key, cost)))
const admitted = (results: { allowed: boolean }[]) => results.filter((result) => result.allowed).length

describe.each(algorithms)('RateLimiter %s', (algorithm) => {
  it('hit() admits `limit` hits, then denies; a denied hit takes nothing', async () => {
    const limits = limiter({ algorithm, limit: 5, window: longWindow })
    const results = await burst(limits, 12)
    expect(results.map((result) => result.allowed)).toEqual([...Array(5).fill(true), ...Array(7).fill(false)])
    expect(results.map((result) => result.remaining)).toEqual([4, 3, 2, 1, 0, ...Array(7).fill(0)])
    for (const result of results.slice(5)) {
      expect(result.retryIn).toBeGreaterThan(0)
      expect(result.retryIn).toBeLessThanOrEqual(2 * longWindow)
    }
    // Denied hits left nothing behind: what was admitted is all there is.
    const key = `${limits.name}:k`
    if (algorithm === 'sliding-log') expect(await shared().zcard(key)).toBe(5)
    if (algorithm === 'fixed-window') expect(await shared().get(key)).toBe('5')
    if (algorithm === 'sliding-window') expect(await shared().hget(key, 'c')).toBe('5')
  })

  it('hit() with a cost takes that many units, and denies a cost that does not fit while a smaller one passes', async () => {
    const limits = limiter({ algorithm, limit: 10, window: longWindow })
    expect(await limits.hit('k', 7)).toMatchObject({ allowed: true, remaining: 3, retryIn: 0 })
    expect(await limits.hit('k', 4)).toMatchObject({ allowed: false, remaining: 3 })
    expect(await limits.hit('k', 3)).toMatchObject({ allowed: true, remaining: 0 })
    if (algorithm === 'sliding-log') expect(await shared().zcard(`${limits.name}:k`)).toBe(10)
  })

  it('keys are limited apart, and each Redis key expires on its own within two windows', async () => {
    const limits = limiter({ algorithm, limit: 1, window: longWindow })
    expect(admitted(await Promise.all(['a', 'b', 'c'].map((key) => limits.hit(key))))).toBe(3)
    const ttl = await shared().pttl(`${limits.name}:a`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(algorithm === 'sliding-window' ? 2 * longWindow : longWindow)
    const result = await limits.peek('a')
    expect(result.resetIn).toBeGreaterThan(0)
    expect(result.resetIn).toBeLessThanOrEqual(ttl + 50)
  })

  it('hit() admits `limit` again once the window has passed (waiting out retryIn)', async () => {
    const limits = limiter({ algorithm, limit: 3, window: 1000 })
    const first = await burst(limits, 6)
    expect(admitted(first)).toBe(3)
    const denied = first.at(-1)
    expect(denied?.retryIn).toBeGreaterThan(0)
    // retryIn is when one more hit fits; once the whole limit is back, a burst gets all of it.
    await vi.waitFor(async () => expect((await limits.peek('k')).allowed).toBe(true), patience)
    await vi.waitFor(async () => expect((await limits.peek('k')).remaining).toBe(3), patience)
    expect(admitted(await burst(limits, 6))).toBe(3)
  })

  it('a key left alone is gone from Redis once its window has passed', async () => {
    const limits = limiter({ algorithm, limit: 2, window: 1000 })
    await limits.hit('k')
    await vi.waitFor(async () => expect(await shared().exists(`${limits.name}:k`)).toBe(0), patience)
    expect(await limits.peek('k')).toEqual({ allowed: true, remaining: 2, resetIn: 0, retryIn: 0 })
  })

  it('peek() says what a hit would without taking anything, and writes no key', async () => {
    const limits = limiter({ algorithm, limit: 2, window: longWindow })
    expect(await limits.peek('k')).toEqual({ allowed: true, remaining: 2, resetIn: 0, retryIn: 0 })
    expect(await shared().exists(`${limits.name}:k`)).toBe(0)
    await limits.hit('k', 2)
    const peeked = await limits.peek('k')
    expect(peeked).toMatchObject({ allowed: false, remaining: 0 })
    expect(peeked.retryIn).toBeGreaterThan(0)
    expect(await limits.peek('k')).toMatchObject({ allowed: false, remaining: 0 })
  })

  it('reset() gives a key its whole limit back, and says whether it held anything', async () => {
    const limits = limiter({ algorithm, limit: 1, window: longWindow })
    await limits.hit('k')
    expect((await limits.hit('k')).allowed).toBe(false)
    expect(await limits.reset('k')).toBe(true)
    expect(await limits.reset('k')).toBe(false)
    expect((await limits.hit('k')).allowed).toBe(true)
  })

  it("counts on the Redis server's clock: instances whose clocks disagree by hours share one window", async () => {
    const name = uniqueName('rl-clock')
    const early = limiter({ algorithm, limit: 4, window: longWindow }, name)
    const late = new RateLimiter<string>(name, { redis: client(), algorithm, limit: 4, window: longWindow })
    limiters.push(late)
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() - 3 * 3_600_000)
    expect(admitted(await burst(early, 2))).toBe(2)
    vi.setSystemTime(Date.now() + 6 * 3_600_000)
    const results = await burst(late, 3)
    expect(admitted(results)).toBe(2)
    expect(results[2]?.resetIn).toBeLessThanOrEqual(2 * longWindow)
  })

  it('sends the hits of one tick, and a FlipCache read on the same client, in one round trip', async () => {
    const limits = limiter({ algorithm, limit: 100, window: longWindow })
    const cache = new FlipCache<string, string>(uniqueName('rl-cache'), {
      redis: shared(),
      valueType: 'string',
      sync: 'none',
      localMax: 0,
    })
    await Promise.all([limits.peek('warm-up'), cache.get('warm-up')])
    const roundTrips = countRoundTrips(shared())
    try {
      const [hits] = await Promise.all([burst(limits, 10), cache.get('k')])
      expect(admitted(hits)).toBe(10)
      expect(roundTrips.count).toBe(1)
    } finally {
      await cache.close()
    }
  })
})

describe('RateLimiter with limit 1 (article 002, "Password reset": once per 5 s)', () => {
  it('hit() admits the first request of each user, denies the rest until the 5 s are over', async () => {
    const resets = limiter({ limit: 1, window: '5s' })
    const [first, second] = [await resets.hit('user-1'), await resets.hit('user-1')]
    expect(first).toMatchObject({ allowed: true, remaining: 0, retryIn: 0 })
    expect(second?.allowed).toBe(false)
    expect(second?.retryIn).toBeGreaterThan(0)
    expect(second?.retryIn).toBeLessThanOrEqual(5000)
    expect((await resets.hit('user-2')).allowed).toBe(true)
  })
})
