import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { RateLimiter, type RateLimiterOptions } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'

// Each test writes a known state, placed on the server's clock (TIME), and checks what the
// limiter makes of it. The few ms between that TIME and the script's own are the only slack.
const slack = 1_000
const window = 60_000

let redis: Redis
beforeAll(() => {
  redis = new Redis(inject('redisUrl'))
})
afterAll(() => redis.disconnect())
const limiters: RateLimiter[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()))
})

function limiter(options: Omit<RateLimiterOptions<string>, 'redis' | 'window'>): RateLimiter {
  const created = new RateLimiter<string>(uniqueName('rl-state'), { redis, window, ...options })
  limiters.push(created)
  return created
}

/** The server's clock in µs. */
async function serverMicros(): Promise<number> {
  const [seconds, micros] = await redis.time()
  return Number(seconds) * 1_000_000 + Number(micros)
}

const within = (value: number, low: number, high: number): void => {
  expect(value).toBeGreaterThanOrEqual(low)
  expect(value).toBeLessThanOrEqual(high)
}

describe('RateLimiter sliding-log on a known log', () => {
  it('retryIn is when the oldest member in the way leaves the window; resetIn when the newest does', async () => {
    const limits = limiter({ limit: 3 })
    const key = `${limits.name}:k`
    const now = await serverMicros()
    const ages = [70, 50, 40, 30].map((seconds) => now - seconds * 1_000_000)
    await redis.zadd(key, ...ages.flatMap((score) => [score, String(score)]))
    await redis.pexpire(key, window)
    const denied = await limits.hit('k')
    expect(denied).toMatchObject({ allowed: false, remaining: 0 })
    within(denied.retryIn, 10_000 - slack, 10_000)
    within(denied.resetIn, 30_000 - slack, 30_000)
    // The member 70 s old was dropped; the others were kept, and nothing was added.
    expect(await redis.zcard(key)).toBe(3)
    within((await limits.peek('k', 2)).retryIn, 20_000 - slack, 20_000)
  })
})

describe('RateLimiter sliding-window on a known pair of counters', () => {
  async function state(limits: RateLimiter, ageMs: number, current: number, previous: number): Promise<void> {
    const key = `${limits.name}:k`
    const start = Math.floor((await serverMicros()) / 1000) - ageMs
    await redis.hset(key, 's', start, 'c', current, 'p', previous)
    await redis.pexpire(key, 2 * window)
  }

  it('weighs the previous window by how much of it still overlaps', async () => {
    const limits = limiter({ algorithm: 'sliding-window', limit: 10 })
    // Half-way through the window: 10 × 0.5 + 3 = 8 of 10 used.
    await state(limits, window / 2, 3, 10)
    const peeked = await limits.peek('k', 3)
    expect(peeked).toMatchObject({ allowed: false, remaining: 2 })
    // 3 more fit once 10 × (60 s − elapsed) / 60 s ≤ 4, at 36 s: 6 s from now.
    within(peeked.retryIn, 6_000 - slack, 6_000)
    within(peeked.resetIn, 90_000 - slack, 90_000)
    expect(await limits.hit('k', 2)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await redis.hget(`${limits.name}:k`, 'c')).toBe('5')
  })

  it("rolls the window over: this window's count becomes the previous one", async () => {
    const limits = limiter({ algorithm: 'sliding-window', limit: 10 })
    // The window began 70 s ago with 8 hits: now 10 s into the next, 8 × 50 / 60 ≈ 6.67 used.
    await state(limits, window + 10_000, 8, 4)
    expect(await limits.hit('k', 3)).toMatchObject({ allowed: true, remaining: 0 })
    const fields = await redis.hgetall(`${limits.name}:k`)
    expect({ c: fields.c, p: fields.p }).toEqual({ c: '3', p: '8' })
  })

  it('waits for the next window when this window alone leaves no room', async () => {
    const limits = limiter({ algorithm: 'sliding-window', limit: 10 })
    await state(limits, 20_000, 9, 0)
    const denied = await limits.hit('k', 2)
    expect(denied).toMatchObject({ allowed: false, remaining: 1 })
    // In the next window, 9 × (60 s − e) / 60 s ≤ 8 at e = 6.67 s: 40 s + 6.67 s from now.
    within(denied.retryIn, 46_667 - slack, 46_667)
  })
})

describe('RateLimiter fixed-window on a known counter', () => {
  it("retryIn and resetIn are the counter's PTTL", async () => {
    const limits = limiter({ algorithm: 'fixed-window', limit: 5 })
    await redis.set(`${limits.name}:k`, '5', 'PX', 20_000)
    const denied = await limits.hit('k')
    expect(denied).toMatchObject({ allowed: false, remaining: 0 })
    within(denied.retryIn, 20_000 - slack, 20_000)
    expect(denied.resetIn).toBe(denied.retryIn)
  })
})
