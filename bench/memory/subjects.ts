import KeyvRedis from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { redisDriver } from 'bentocache/drivers/redis'
import { createCache } from 'cache-manager'
import { Cacheable } from 'cacheable'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'
import type { FlipCacheOptions } from '../../src/index.js'
import { FlipCache } from '../support/flipcache.js'
import { sharedStructuresOnRedis8 } from './report.js'

/** Every entry lives for an hour, as in the measurement. */
export const ttlMs = 3_600_000
/** The data set's name: Redis keys `users:<id>` (raw and flipcache strings), `users:b:<n>` (buckets). */
const name = 'users'

/** Writes one subject's entries into Redis, batch by batch, then lets go of every connection it opened. */
export interface Writer {
  write(batch: readonly (readonly [number, unknown])[]): Promise<void>
  close(): Promise<void>
}

/** One row of the memory table: a way of storing the same entries in Redis. */
export interface Subject {
  label: string
  group: 'baseline' | 'flipcache' | 'peer'
  /** Server settings this row needs (`CONFIG SET` before it writes; the defaults are restored after). */
  serverConfig?: Record<string, string>
  open(url: string): Promise<Writer>
}

/** The baseline: `SET users:<id> <JSON> PX <ttl>` through ioredis, pipelined. */
export const baseline: Subject = {
  label: 'raw JSON strings (ioredis SET PX)',
  group: 'baseline',
  async open(url) {
    const redis = new Redis(url)
    return {
      async write(batch) {
        const pipeline = redis.pipeline()
        for (const [id, value] of batch) pipeline.set(`${name}:${id}`, JSON.stringify(value), 'PX', ttlMs)
        await pipeline.exec()
      },
      close: async () => void (await redis.quit()),
    }
  },
}

type Options = Omit<FlipCacheOptions<number, unknown>, 'redis'>

function flipcache(label: string, options: Options, serverConfig?: Record<string, string>): Subject {
  return {
    label: `flipcache ${label}`,
    group: 'flipcache',
    ...(serverConfig === undefined ? {} : { serverConfig }),
    async open(url) {
      const redis = new Redis(url)
      const cache = new FlipCache<number, unknown>(name, {
        redis,
        keyType: 'int',
        expireTime: ttlMs,
        localMax: 0,
        ...options,
      })
      return {
        write: (batch) => cache.setMany(batch),
        async close() {
          await cache.close()
          await redis.quit()
        },
      }
    },
  }
}

/** Wide enough for 1000-field buckets to keep the listpack encoding. */
const wideBuckets = { 'hash-max-listpack-entries': '1024' }
/** Compression for the rows that try it: smaller values than the default threshold of 1 KiB. */
const compress = { threshold: 256, algorithm: 'gzip' } as const

const flipcacheRows: Subject[] = [
  flipcache("string, valueType 'json'", { valueType: 'json' }),
  flipcache("string, valueType 'superjson' (default)", {}),
  flipcache("string, valueType 'msgpack'", { valueType: 'msgpack' }),
  flipcache("string, 'msgpack', gzip ≥ 256 B", { valueType: 'msgpack', compress }),
  flipcache("hash 100/bucket, 'superjson'", { storage: { kind: 'hash', bucketSize: 100 } }),
  flipcache("hash 100/bucket, 'msgpack'", {
    valueType: 'msgpack',
    storage: { kind: 'hash', bucketSize: 100 },
  }),
  flipcache("hash 100/bucket, 'msgpack', gzip ≥ 256 B", {
    valueType: 'msgpack',
    compress,
    storage: { kind: 'hash', bucketSize: 100 },
  }),
  flipcache(
    "hash 1000/bucket, 'msgpack'",
    { valueType: 'msgpack', storage: { kind: 'hash', bucketSize: 1000 } },
    wideBuckets,
  ),
  flipcache(
    "hash 1000/bucket, 'msgpack', gzip ≥ 256 B",
    { valueType: 'msgpack', compress, storage: { kind: 'hash', bucketSize: 1000 } },
    wideBuckets,
  ),
  flipcache("string, 'msgpack', sharedStructures", { valueType: 'msgpack', sharedStructures: true }),
  flipcache("hash 100/bucket, 'msgpack', sharedStructures", {
    valueType: 'msgpack',
    sharedStructures: true,
    storage: { kind: 'hash', bucketSize: 100 },
  }),
  flipcache(
    "hash 1000/bucket, 'msgpack', sharedStructures",
    { valueType: 'msgpack', sharedStructures: true, storage: { kind: 'hash', bucketSize: 1000 } },
    wideBuckets,
  ),
]

/** BentoCache with its Redis driver as the only layer, every option left at its default. */
const bentoCache: Subject = {
  label: 'BentoCache (Redis L2, defaults)',
  group: 'peer',
  async open(url) {
    const connection = new Redis(url)
    const bento = new BentoCache({
      default: 'cache',
      stores: { cache: bentostore().useL2Layer(redisDriver({ connection })) },
    })
    return {
      write: async (batch) => {
        await Promise.all(batch.map(([id, value]) => bento.set({ key: `${name}:${id}`, value, ttl: ttlMs })))
      },
      async close() {
        await bento.disconnectAll()
        if (connection.status !== 'end') connection.disconnect()
      },
    }
  },
}

/** cacheable with @keyv/redis as its secondary store, defaults otherwise. */
const cacheable: Subject = {
  label: 'cacheable (@keyv/redis secondary, defaults)',
  group: 'peer',
  async open(url) {
    const cache = new Cacheable({ secondary: new KeyvRedis(url) })
    return {
      write: async (batch) => {
        await Promise.all(batch.map(([id, value]) => cache.set(`${name}:${id}`, value, ttlMs)))
      },
      close: () => cache.disconnect(),
    }
  },
}

/** cache-manager over Keyv with @keyv/redis, defaults otherwise. */
const cacheManager: Subject = {
  label: 'cache-manager (Keyv + @keyv/redis, defaults)',
  group: 'peer',
  async open(url) {
    const cache = createCache({ stores: [new Keyv({ store: new KeyvRedis(url) })] })
    return {
      write: async (batch) => {
        await Promise.all(batch.map(([id, value]) => cache.set(`${name}:${id}`, value, ttlMs)))
      },
      close: async () => void (await cache.disconnect()),
    }
  },
}

/**
 * Written once, unrecorded, before the rows: a server's first script (EVAL, which hash writes with
 * an expiry header use) costs it about 50 to 75 KB for good (FLUSHALL keeps it), which the first hash row
 * would otherwise count as its own (15 B/entry of --quick's 5,000 entries). With `sharedStructures`,
 * so that its two registry scripts (about 55 KB more on Redis 8) are not counted by its first row.
 */
export const scriptWarmUp: Subject = flipcache('hash warm-up', {
  valueType: 'msgpack',
  sharedStructures: true,
  storage: { kind: 'hash', bucketSize: 100, entryExpiry: 'header' },
})

/** Every row, the baseline first. */
export const subjects: Subject[] = [baseline, ...flipcacheRows, bentoCache, cacheable, cacheManager]

/**
 * The rows of the field-TTL pass, on a server with field TTLs: hash buckets with each entry's
 * expiry in a header (`entryExpiry: 'header'`) and with the default, `'auto'` (field TTLs where the
 * server has them), after the baseline measured on that same server; and the leanest layout,
 * `sharedStructures` with field TTLs.
 */
export const fieldTtlSubjects: Subject[] = [
  baseline,
  ...(['superjson', 'msgpack'] as const).flatMap((valueType) => [
    flipcache(`hash 100/bucket, '${valueType}', entryExpiry 'header'`, {
      valueType,
      storage: { kind: 'hash', bucketSize: 100, entryExpiry: 'header' },
    }),
    flipcache(`hash 100/bucket, '${valueType}', entryExpiry 'auto' (default)`, {
      valueType,
      storage: { kind: 'hash', bucketSize: 100, entryExpiry: 'auto' },
    }),
  ]),
  flipcache(sharedStructuresOnRedis8, {
    valueType: 'msgpack',
    sharedStructures: true,
    storage: { kind: 'hash', bucketSize: 100, entryExpiry: 'auto' },
  }),
]
