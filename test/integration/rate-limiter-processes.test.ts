import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { RateLimitAlgorithm } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { type Child, spawnChild } from '../support/child-process.js'

const algorithms = Object.values(RateLimitAlgorithm)
// The window is long enough that no burst crosses it on a loaded machine; every admitted hit's
// resetIn is checked to lie within it all the same.
const windowMs = 60_000
const limit = 25
const hitsPerProcess = 40

const children: Child[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.process.kill()
})

describe.each(algorithms)('RateLimiter %s across two processes', (algorithm) => {
  it(`hit() admits exactly ${limit} of ${2 * hitsPerProcess} concurrent hits from two processes in one window`, async () => {
    const name = uniqueName('rl-processes')
    const args = [inject('redisUrl'), name, algorithm, String(limit), String(windowMs), 'user-1']
    const started = [0, 1].map(() =>
      spawnChild([...args, String(hitsPerProcess)], inject('childScripts').rateLimit),
    )
    children.push(...started)
    await Promise.all(started.map((child) => child.line('ready')))
    for (const child of started) child.go()
    const lines = await Promise.all(started.map((child) => child.line('result ')))
    const counts = lines.map((line) => line.split(' ').slice(1).map(Number))
    const allowed = counts.reduce((sum, [admitted = 0]) => sum + admitted, 0)
    const denied = counts.reduce((sum, [, refused = 0]) => sum + refused, 0)
    expect({ allowed, denied }).toEqual({ allowed: limit, denied: 2 * hitsPerProcess - limit })
    for (const [, , longestResetIn = 0] of counts) expect(longestResetIn).toBeLessThanOrEqual(2 * windowMs)
    // What Redis holds agrees: the limit is used up for a third instance too.
    const redis = new Redis(inject('redisUrl'))
    try {
      const key = `${name}:user-1`
      expect(await redis.pttl(key)).toBeGreaterThan(0)
      if (algorithm === 'sliding-log') expect(await redis.zcard(key)).toBe(limit)
      if (algorithm === 'fixed-window') expect(await redis.get(key)).toBe(String(limit))
      if (algorithm === 'sliding-window') expect(await redis.hget(key, 'c')).toBe(String(limit))
    } finally {
      redis.disconnect()
    }
  })
})
