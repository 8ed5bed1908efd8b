import calculateSlot from 'cluster-key-slot'
import { Cluster } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FlipCounter, type FlipCounterOptions } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js'

// A cluster of this file's own (slow to start: one for the file). No node is meant to fail here:
// a 5 s node timeout keeps a starved machine from failing one over.
let cluster: RedisCluster
let client: Cluster
beforeAll(async () => {
  cluster = await startRedisCluster(5_000)
  client = new Cluster(cluster.startupNodes)
}, 60_000)
afterAll(async () => {
  client?.disconnect()
  await cluster?.stop()
})

const counters: FlipCounter<never>[] = []
afterEach(async () => {
  await Promise.all(counters.splice(0).map((counter) => counter.close()))
})
function counter(
  options: FlipCounterOptions<string> = {},
  name = uniqueName('counter'),
): FlipCounter<string> {
  const built = new FlipCounter<string>(name, { redis: client, ...options })
  counters.push(built as unknown as FlipCounter<never>)
  return built
}

const keys = Array.from({ length: 40 }, (_, index) => `job-${index}`)

describe('FlipCounter on a Redis Cluster', () => {
  it('counts keys spread over every master, and getMany() reads them across slots', async () => {
    const views = counter({ expireTime: '100s' })
    const slots = new Set(keys.map((key) => calculateSlot(`${views.name}:${key}`)))
    expect(slots.size).toBeGreaterThan(30)
    await Promise.all(keys.map((key, index) => views.increment(key, index + 1)))
    await Promise.all(keys.map((key) => views.increment(key)))
    expect(await views.getMany(keys)).toEqual(keys.map((_, index) => index + 2))
  })

  it('restores a missing counter once for 100 concurrent increments, losing none', async () => {
    const calls: string[] = []
    const views = counter({
      restore: async (key) => {
        calls.push(key)
        await new Promise((resolve) => setTimeout(resolve, 50))
        return 500
      },
    })
    const values = await Promise.all(Array.from({ length: 100 }, () => views.increment('hot')))
    expect(calls).toEqual(['hot'])
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, index) => 501 + index))
  })

  it('refuses persist without hashTag with a TypeError, since the dirty set must share each counter slot', () => {
    expect(() => counter({ persist: async () => {} })).toThrow(/hashTag: true/)
  })

  it('with hashTag, keeps every key in one slot and hands the changed counters over', async () => {
    const handed: [string, number][] = []
    const views = counter({
      hashTag: true,
      persistInterval: 3_600_000,
      persistBatchSize: 7,
      persist: async (changes) => {
        handed.push(...changes)
      },
    })
    await Promise.all(keys.map((key) => views.increment(key, 3)))
    await views.persistNow()
    expect(handed.sort(([a], [b]) => a.localeCompare(b))).toEqual(
      keys.map((key): [string, number] => [key, 3]).sort(([a], [b]) => a.localeCompare(b)),
    )
    const slots = new Set(
      [...keys.map((key) => `{${views.name}}:${key}`), `{${views.name}}#dirty`].map(calculateSlot),
    )
    expect(slots.size).toBe(1)
  })
})
