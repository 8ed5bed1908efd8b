import calculateSlot from 'cluster-key-slot'
import { Cluster } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { RateLimitAlgorithm, RateLimiter } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { useOwnCluster } from '../support/own-cluster.js'

// A cluster of this file's own (slow to start: one per file).
const own = useOwnCluster()

const clients: Cluster[] = []
const limiters: RateLimiter[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((limiter) => limiter.close()))
  for (const client of clients.splice(0)) client.disconnect()
})

function limiter(algorithm: RateLimitAlgorithm, hashTag: boolean): RateLimiter {
  const redis = new Cluster(own.cluster.startupNodes)
  redis.on('error', () => {})
  clients.push(redis)
  const created = new RateLimiter(uniqueName('rl-cluster'), {
    redis,
    algorithm,
    hashTag,
    limit: 2,
    window: 60_000,
  })
  limiters.push(created)
  return created
}

/** How many keys starting with `prefix` each master holds (SCAN: a master's own keys, no redirect). */
async function keysPerMaster(prefix: string): Promise<number[]> {
  return (await own.keysOnMasters(`${prefix}*`)).map((keys) => keys.length)
}

const users = Array.from({ length: 30 }, (_, index) => `user-${index}`)

describe.each(Object.values(RateLimitAlgorithm))('RateLimiter %s on a Redis Cluster', (algorithm) => {
  it('hit() admits exactly `limit` per key, each key in its own slot, spread over the masters', async () => {
    const limits = limiter(algorithm, false)
    const results = await Promise.all(users.flatMap((user) => [1, 2, 3].map(() => limits.hit(user))))
    const admittedPerUser = users.map(
      (_, index) => results.slice(3 * index, 3 * index + 3).filter((result) => result.allowed).length,
    )
    expect(admittedPerUser).toEqual(users.map(() => 2))
    const keys = users.map((user) => `${limits.name}:${user}`)
    expect(new Set(keys.map((key) => calculateSlot(key))).size).toBeGreaterThan(1)
    const held = await keysPerMaster(`${limits.name}:`)
    expect(held.reduce((sum, count) => sum + count, 0)).toBe(users.length)
    expect(held.filter((count) => count > 0).length).toBeGreaterThan(1)
  })

  it('with hashTag, every key of the limiter is in one slot, on one master, and limited the same', async () => {
    const limits = limiter(algorithm, true)
    const results = await Promise.all(users.flatMap((user) => [1, 2, 3].map(() => limits.hit(user))))
    expect(results.filter((result) => result.allowed)).toHaveLength(2 * users.length)
    const keys = users.map((user) => `{${limits.name}}:${user}`)
    expect(new Set(keys.map((key) => calculateSlot(key))).size).toBe(1)
    const held = await keysPerMaster(`{${limits.name}}:`)
    expect(held.filter((count) => count > 0)).toEqual([users.length])
    expect((await limits.peek('user-0')).allowed).toBe(false)
    expect(await limits.reset('user-0')).toBe(true)
    expect((await limits.hit('user-0')).allowed).toBe(true)
  })
})
