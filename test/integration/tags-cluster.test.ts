import { describe, expect, it, vi } from 'vitest'
import { uniqueName, useClusterCaches } from '../support/cache-builder.js'
import { useOwnCluster } from '../support/own-cluster.js'

// A cluster of this file's own: tag hashes and entries land in slots all over it.
const own = useOwnCluster()

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
