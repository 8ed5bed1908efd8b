import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { Redis } from 'ioredis'
import type { User } from '../support/data.js'
import type { PeerCache, PeerFactory } from './peer.js'

/**
 * BentoCache as its multi-tier guide sets it up: `useL1Layer(memoryDriver({ maxSize: '10mb' }))` in front of
 * `useL2Layer(redisDriver(...))`. The guide's bus only keeps the L1 copies of several instances coherent and
 * it says a single instance does not need it, so it stays off. 1.6 has no getMany/setMany.
 */
export const bentocache: PeerFactory = {
  name: 'bentocache',
  /**
   * `memoryDriver({ serialize: false })` is its copy-free L1, and create() builds it when asked, but in 1.6.1 an
   * L2 hit refills L1 with the JSON string and the next L1 read of that key throws (Julien-R44/bentocache#111,
   * fix in unmerged PR #113). A row that crashes on every Redis-served key measures nothing, so it is not offered.
   */
  hasCopyFree: false,
  async create({ redisUrl, namespace, tier, copyFree: wantCopyFree = false }) {
    // Our own ioredis client, handed to the driver as in bench/memory/subjects.ts.
    const connection = new Redis(redisUrl)
    const store = bentostore()
    const memory = tier === 'memory+redis'
    const copyFree = memory && wantCopyFree
    if (memory) {
      // `serialize: false` keeps the objects themselves in L1; BentoCache then refuses a byte bound (maxSize).
      store.useL1Layer(memoryDriver(copyFree ? { serialize: false } : { maxSize: '10mb' }))
    }
    store.useL2Layer(redisDriver({ connection }))
    // `prefix` (default 'bentocache') starts every key: Redis keys are `<namespace>:<key>`.
    const bento = new BentoCache({ default: 'cache', prefix: namespace, stores: { cache: store } })

    const l1 = copyFree
      ? 'memoryDriver({ serialize: false }) (objects kept as they are, no JSON on L1 hits)'
      : "memoryDriver({ maxSize: '10mb' }) (entries kept as JSON strings, parsed on every L1 hit)"
    const config = memory
      ? `bentostore().useL1Layer(${l1}).useL2Layer(redisDriver({ connection: ioredis })), as in its multi-tier ` +
        "guide without the bus (single instance); L1 holds at most lru-cache's 1000 items (maxItems default); " +
        'getMany/setMany are Promise.all of get/set (no batch API in 1.6); other options default.'
      : 'bentostore().useL2Layer(redisDriver({ connection: ioredis })) only, options default; ' +
        'getMany/setMany are Promise.all of get/set (no batch API in 1.6).'

    const get = (key: string) => bento.get<User | undefined>({ key })
    const set = async (key: string, value: User, ttlMs: number) => {
      await bento.set({ key, value, ttl: ttlMs })
    }
    const cache: PeerCache = {
      label: `BentoCache (${memory ? 'memory + Redis' : 'Redis'}${copyFree ? ', serialize: false' : ''})`,
      config,
      library: 'bentocache',
      get,
      getMany: (keys) => Promise.all(keys.map(get)),
      set,
      async setMany(entries, ttlMs) {
        await Promise.all(entries.map(([key, value]) => set(key, value, ttlMs)))
      },
      getOrSet: (key, loader, ttlMs) => bento.getOrSet({ key, factory: loader, ttl: ttlMs }),
      async close() {
        await bento.disconnectAll()
        // disconnectAll only reaches stores that were used: make sure the client is gone either way.
        if (connection.status !== 'end') connection.disconnect()
      },
    }
    return cache
  },
}
