import KeyvRedis from '@keyv/redis'
import { createCache } from 'cache-manager'
import { CacheableMemory } from 'cacheable'
import { Keyv } from 'keyv'
import type { User } from '../support/data.js'
import type { PeerCache, PeerFactory } from './peer.js'

/**
 * cache-manager 7 with the layer 1 / layer 2 stores of its README's quick start:
 * `new Keyv({ store: new CacheableMemory({ ttl: 60000, lruSize: 5000 }) })` then
 * `new Keyv({ store: new KeyvRedis(url) })`. Keyv's JSON serializer stays on for the memory store there, so
 * an L1 hit parses JSON; the copy-free variant drops it (`keyv.serialize = undefined`, as its README shows for
 * in-memory stores) and sets `useClone: false` on CacheableMemory. Each Keyv gets `namespace`.
 */
export const cacheManager: PeerFactory = {
  name: 'cache-manager',
  hasCopyFree: true,
  async create({ redisUrl, namespace, tier, copyFree: wantCopyFree = false }) {
    const memory = tier === 'memory+redis'
    const copyFree = memory && wantCopyFree
    const stores = [new Keyv({ store: new KeyvRedis(redisUrl), namespace })]
    if (memory) {
      // The 1-minute default TTL only applies to writes without one; every write here passes ttlMs.
      const l1 = new Keyv({
        store: new CacheableMemory({ ttl: 60_000, lruSize: 5000, useClone: !copyFree }),
        namespace,
      })
      if (copyFree) {
        l1.serialize = undefined
        l1.deserialize = undefined
      }
      stores.unshift(l1)
    }
    const cache = createCache({ stores })

    const memoryStore = copyFree
      ? 'new Keyv({ store: new CacheableMemory({ ttl: 60000, lruSize: 5000, useClone: false }) }) with ' +
        "Keyv's serialize/deserialize removed (objects kept as they are)"
      : "new Keyv({ store: new CacheableMemory({ ttl: 60000, lruSize: 5000 }) }) (Keyv's JSON serializer on: " +
        'JSON parsed on every L1 hit)'
    const config = memory
      ? `createCache({ stores: [${memoryStore}, new Keyv({ store: new KeyvRedis(url) })] }) per its README, ` +
        'blocking (nonBlocking false); mget/mset and wrap; get/mget do not copy a Redis hit into memory (only wrap does).'
      : 'createCache({ stores: [new Keyv({ store: new KeyvRedis(url) })] }), options default; mget/mset and wrap.'

    const result: PeerCache = {
      label: `cache-manager (${memory ? 'memory + Redis' : 'Redis'}${copyFree ? ', no serializer, useClone: false' : ''})`,
      config,
      library: 'cache-manager',
      get: (key) => cache.get<User>(key),
      getMany: (keys) => cache.mget<User>(keys),
      async set(key, value, ttlMs) {
        await cache.set(key, value, ttlMs)
      },
      async setMany(entries, ttlMs) {
        await cache.mset(entries.map(([key, value]) => ({ key, value, ttl: ttlMs })))
      },
      getOrSet: (key, loader, ttlMs) => cache.wrap(key, loader, ttlMs),
      async close() {
        await cache.disconnect()
      },
    }
    return result
  },
}
