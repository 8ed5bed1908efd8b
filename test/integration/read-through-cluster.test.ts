import { describe, expect, it, vi } from 'vitest'
import type { BatchLoader } from '../../src/index.js'
import { uniqueName, useClusterCaches } from '../support/cache-builder.js'
import { gate } from '../support/fake-clock.js'
import { useOwnCluster } from '../support/own-cluster.js'

// A cluster of this file's own (getOrSetMany and tags share it: a cluster is slow to start): it
// looks at what each master holds.
const own = useOwnCluster()

describe('getOrSetMany() on a Redis Cluster', () => {
  const { cache, client } = useClusterCaches(() => own.cluster.startupNodes)

  it('loads keys spread over every master once across two processes, and stores them where they belong', async () => {
    const name = uniqueName()
    const lock = { ttl: 5_000, wait: 10_000 }
    const one = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    const two = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    await Promise.all([one.ready(), two.ready()])
    const keys = Array.from({ length: 40 }, (_, index) => `k${index}`)
    const loads = new Map<string, number>()
    const count = (key: string): void => {
      loads.set(key, (loads.get(key) ?? 0) + 1)
    }
    const finish = gate()
    const loader: BatchLoader<string, string> = async (asked) => {
      for (const key of asked) count(key)
      await finish.opened
      return new Map(asked.map((key) => [key, `v:${key}`]))
    }
    const calls = [
      one.getOrSetMany(keys.slice(0, 30), loader),
      two.getOrSetMany(keys.slice(10, 40), loader),
      ...keys.map((key, index) =>
        (index % 2 === 0 ? two : one).getOrSet(key, () => {
          count(key)
          return `v:${key}`
        }),
      ),
    ]
    // Every key is being loaded somewhere before any loader finishes.
    await vi.waitFor(() => expect(loads.size).toBe(keys.length), { timeout: 10_000 })
    finish.open()
    const results = await Promise.all(calls)
    expect(results[0]).toEqual(keys.slice(0, 30).map((key) => `v:${key}`))
    expect(results[1]).toEqual(keys.slice(10, 40).map((key) => `v:${key}`))
    expect(results.slice(2)).toEqual(keys.map((key) => `v:${key}`))
    for (const key of keys) expect(loads.get(key), key).toBe(1)
    // Stored on the masters their slots belong to: every master holds some.
    const held = await own.keysOnMasters(`${name}:*`)
    expect(held.flat().sort()).toEqual(keys.map((key) => `${name}:${key}`).sort())
    for (const keysOfMaster of held) expect(keysOfMaster.length).toBeGreaterThan(0)
    // A third instance reads them all without loading.
    const three = cache<string, string>({ redis: client(), valueType: 'string' }, name)
    const never = vi.fn<BatchLoader<string, string>>(() => [])
    expect(await three.getOrSetMany(keys, never)).toEqual(keys.map((key) => `v:${key}`))
    expect(never).not.toHaveBeenCalled()
  })
})

describe('tags on a Redis Cluster', () => {
  const { cache, client } = useClusterCaches(() => own.cluster.startupNodes)

  for (const hashTag of [false, true]) {
    it(`invalidateTags reaches entries on every master and every instance (hashTag: ${hashTag})`, async () => {
      const name = uniqueName()
      const options = { valueType: 'string', hashTag } as const
      const a = cache<string, string>({ redis: client(), ...options }, name)
      const b = cache<string, string>({ redis: client(), ...options }, name)
      await Promise.all([a.ready(), b.ready()])
      const keys = Array.from({ length: 30 }, (_, index) => `k${index}`)
      // Ten tags, spread over the slots (without hashTag), each on three entries.
      await Promise.all(keys.map((key, index) => a.set(key, `v:${key}`, { tags: [`t${index % 10}`, 'all'] })))
      expect(await b.getMany(keys)).toEqual(keys.map((key) => `v:${key}`))
      await a.invalidateTags(['t0', 't1', 't2'])
      const expected = keys.map((key, index) => (index % 10 < 3 ? undefined : `v:${key}`))
      await vi.waitFor(async () => expect(await b.getMany(keys)).toEqual(expected))
      expect(await a.getMany(keys)).toEqual(expected)
      // A fresh instance reads the counts from the masters of the tags' slots.
      const fresh = cache<string, string>({ redis: client(), ...options }, name)
      expect(await fresh.getMany(keys)).toEqual(expected)
      await b.invalidateTags(['all'], { mode: 'expire' })
      await vi.waitFor(async () => expect(await a.getMany(keys)).toEqual(keys.map(() => undefined)))
      // Stale, not gone: getOrSet serves it while it reloads.
      expect(await fresh.getOrSet('k5', () => 'reloaded', { tags: ['all'] })).toBe('v:k5')
      await vi.waitFor(async () => expect(await a.get('k5')).toBe('reloaded'))
      if (hashTag) {
        // With hashTag every tag hash shares the cache's slot.
        const tagKeys = (await own.keysOnMasters(`_tag:{${name}}:*`)).filter((held) => held.length > 0)
        expect(tagKeys).toHaveLength(1)
      }
    })
  }
})
