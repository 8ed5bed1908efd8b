import KeyvRedis from '@keyv/redis'
import { Cacheable, createKeyv } from 'cacheable'
import type { User } from '../support/data.js'
import type { PeerCache, PeerFactory } from './peer.js'

/**
 * cacheable as its README sets up layer 1 / layer 2: `new Cacheable({ secondary: new KeyvRedis(url) })`, the
 * primary left at its default (a Keyv over CacheableMemory with Keyv's serializer removed, which
 * structuredClones each value it hands out). Redis only: @keyv/redis as the primary and no secondary, so
 * the same Cacheable API runs with no memory tier. `namespace` is Cacheable's own option.
 */
export const cacheable: PeerFactory = {
  name: 'cacheable',
  hasCopyFree: true,
  async create({ redisUrl, namespace, tier, copyFree: wantCopyFree = false }) {
    const memory = tier === 'memory+redis'
    const copyFree = memory && wantCopyFree
    // A node-redis client of @keyv/redis's own, connected on first use (as in bench/memory/subjects.ts).
    const redis = new KeyvRedis(redisUrl)
    const cache = memory
      ? new Cacheable({
          secondary: redis,
          namespace,
          // createKeyv is what Cacheable builds by default; `useClone: false` hands out the stored objects.
          ...(copyFree ? { primary: createKeyv({ useClone: false }) } : {}),
        })
      : new Cacheable({ primary: redis, namespace })

    const config = memory
      ? `new Cacheable({ ${copyFree ? 'primary: createKeyv({ useClone: false }), ' : ''}secondary: new KeyvRedis(url), namespace }): ` +
        (copyFree
          ? 'CacheableMemory primary returning its stored objects (no clone), '
          : 'default CacheableMemory primary (unbounded, structuredClone on every L1 hit), ') +
        'blocking secondary (nonBlocking false); its own getMany/setMany and getOrSet (throwErrors: true), other options default.'
      : 'new Cacheable({ primary: new KeyvRedis(url), namespace }): @keyv/redis as the only store; ' +
        'its own getMany/setMany and getOrSet (throwErrors: true), other options default.'

    const result: PeerCache = {
      label: `cacheable (${memory ? 'memory + Redis' : 'Redis'}${copyFree ? ', useClone: false' : ''})`,
      config,
      library: 'cacheable',
      get: (key) => cache.get<User>(key),
      getMany: (keys) => cache.getMany<User>(keys),
      async set(key, value, ttlMs) {
        // cacheable reports a failed write as `false` (plus an 'error' event) rather than a rejection.
        if (!(await cache.set(key, value, ttlMs))) throw new Error(`cacheable: set of ${key} failed`)
      },
      async setMany(entries, ttlMs) {
        const items = entries.map(([key, value]) => ({ key, value, ttl: ttlMs }))
        if (!(await cache.setMany(items))) throw new Error('cacheable: setMany failed')
      },
      async getOrSet(key, loader, ttlMs) {
        // throwErrors: without it a failing loader or store resolves to undefined.
        const value = await cache.getOrSet<User>(key, loader, { ttl: ttlMs, throwErrors: true })
        if (value === undefined) throw new Error(`cacheable: getOrSet of ${key} returned no value`)
        return value
      },
      close: () => cache.disconnect(),
    }
    return result
  },
}
