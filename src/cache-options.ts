import type { Compression, CompressionAlgorithm } from './entry/entry-header.js'
import type { FlipCacheLogger } from './error-reporter.js'
import type { LockLostError } from './errors.js'
import type { Duration } from './expire/duration.js'
import type { ExpireTime } from './expire/option-values.js'
import type { GetOrSetDefaults } from './loading/get-or-set-defaults.js'
import type { ResolvedLoad } from './loading/load-options.js'
import type { LocalOptions } from './local/local-options.js'
import type { LocalPolicyName } from './local/local-policy.js'
import type { CircuitBreakerOption, KeySeparator } from './option-checks.js'
import type { BreakerSettings } from './redis/circuit-breaker.js'
import type { RedisInput } from './redis/connection.js'
import type { BucketExpire, BucketSettings, EntryExpiry } from './store/bucket-layout.js'
import type { SyncMode } from './sync/sync-bus.js'
import type { KeyCodec, KeyTypeFor } from './types/key-type.js'
import type { RedisValue, ValueCodec } from './types/value-codec.js'
import type { ValueTypeFor } from './types/value-type.js'
import type { WriteBehindOption, WritePolicy, WriteThroughOption } from './write-policy/write-options.js'

/** The options of a FlipCache as a user writes them, and as they are after validation (options.ts). */

/**
 * The options of a cache of keys `K` and values `V`. `keyType` and `valueType` must fit `K` and `V`
 * (see `KeyTypeFor` and `ValueTypeFor`). `Raw` is what a custom `valueDecoder` receives: `string`,
 * or `Buffer` with `valueDecoderInput: 'buffer'`.
 */
export interface FlipCacheOptions<K, V, Raw extends RedisValue = string>
  extends LocalOptions,
    GetOrSetDefaults<V> {
  /**
   * An ioredis `Redis` or `Cluster` you own and share (never closed by flipcache), or a `redis://`
   * URL / ioredis options, for which flipcache opens a client of its own and closes it in `close()`.
   * Anything else (a node-redis client, an instance of some class) is refused with a `TypeError`, and
   * so is a client or options with ioredis's `keyPrefix` (SCAN patterns and pub/sub do not get it).
   * @default a client for `process.env.REDIS_URL`, else `'redis://127.0.0.1:6379'`
   */
  redis?: RedisInput
  /** Redis time to live of each entry: ms, a duration (`'10s'`, `'3d'`), an `expire.*` preset, or `null` for none. @default null */
  expireTime?: ExpireTime
  /** How keys are checked, coerced and written after `name:`. @default 'string' */
  keyType?: KeyTypeFor<K>
  /**
   * Longest key, in characters (UTF-16 code units, as `string.length` counts them), as given and as
   * encoded: a longer key is a `TypeError` before it is parsed; a longer key found by keys() or
   * entries() is skipped and reported (`E_DECODE`). See docs/format.md#limits. @default 16384
   */
  maxKeyLength?: number
  /**
   * How values are checked and encoded in Redis; `typed.json<T>()` (and `typed.superjson`,
   * `typed.msgpack`) is the name with the value type for TypeScript. @default 'superjson'
   */
  valueType?: ValueTypeFor<V>
  /**
   * Largest encoded value, in bytes (before compression; at most 512 MiB). A longer value is refused
   * before anything is written (`E_TOO_LARGE`, naming its size); stored data that is longer, or
   * expands to more, is a miss reported as `E_DECODE`, never expanded past it nor kept.
   * See docs/format.md#limits. @default 1048576 (1 MiB)
   */
  maxValueBytes?: number
  /**
   * `valueType: 'msgpack'` only: writes each plain object whose list of field names (its
   * *structure*) is registered as a record, its values without their field names, which are stored
   * once per namespace in Redis (`_structures:<keyPrefix>registry`, a list of at most 256 structures
   * of at most 64 fields). A small object then costs about 15 bytes less in Redis. A structure not
   * registered yet is written as a plain map while it is registered in the background; what is
   * written never names a structure Redis does not hold. Every instance of the cache must set it:
   * an instance without it reads records as misses (`E_DECODE`), and so do other programs
   * (Python's `msgpack`). Refused with `pubsubDict`. See docs/memory.md#shared-structures.
   * @default false
   */
  sharedStructures?: boolean
  /** `valueType: 'custom'`: turns a value into the string or Buffer stored in Redis. */
  valueEncoder?: (value: V) => RedisValue
  /** `valueType: 'custom'`: turns the stored string (or Buffer, with `valueDecoderInput: 'buffer'`) back into a value. */
  valueDecoder?: (raw: Raw) => V
  /** `valueType: 'custom'`: whether `valueDecoder` receives a UTF-8 `'string'` or the raw `'buffer'`. @default 'string' */
  valueDecoderInput?: Raw extends Buffer ? 'buffer' : 'string'
  /** What `get` returns on a miss; it is never written to Redis. @default undefined */
  valueDefault?: V
  /**
   * Serve every read a copy of its own. By default an L1 hit returns the very object L1 holds, and
   * so does every other hit of that key (and the read that filled it): a caller that changes what it
   * read changes it for every caller in the process, until the copy leaves L1. With `cloneOnRead`,
   * `get`, `getMany`, `getOrSet`, `wrap` and `peek` return a copy made through the value type (the
   * value a read from Redis would return), and so does a miss's object `valueDefault` (which must then
   * be a value of the value type). It costs an encode and a decode per object read: with superjson, a
   * 110-byte object, ~22 µs per L1 hit instead of ~0.7 µs. Primitives are returned as they are.
   * @default false
   */
  cloneOnRead?: boolean
  /**
   * Sliding expiry: every read, L1 hits included, pushes the Redis TTL back to `expireTime`. Needs an
   * `expireTime`; with hash buckets, `entryExpiry: 'auto'` and a server that expires hash fields
   * (Redis 8.0+, Valkey 9.0+: reads are `HGETEX ... PX`, touches `HPEXPIRE`); not with
   * `sync: 'tracking'` (Redis tracks a TTL touch as a change: every read would drop the other
   * instances' copies). @default false
   */
  refreshExpireTimeOnGet?: boolean
  /**
   * Longest any single Redis operation may take before it rejects: ms or a duration. A getOrSet call
   * waits for Redis at most this long in all, besides its loader. @default 1000
   */
  timeout?: number | Duration
  /**
   * Stops sending commands to a Redis that keeps failing: after `failures` consecutive failed round
   * trips, calls fail at once with `E_REDIS` until a probe after `cooldown` (or a reconnection)
   * succeeds; changes are emitted as `'redis'` events. `false` turns it off.
   * @default { failures: 5, cooldown: '1s' }
   */
  circuitBreaker?: CircuitBreakerOption
  /**
   * Where failures no caller awaits are reported (besides the 'error' event, when it has
   * listeners), instead of process warnings: `logger.error(fields, message)` (`logger.warn` for a
   * stale value served because its loader failed), pino style, so a pino logger or `console` fit.
   * Failures of one code are coalesced to one report a second. See docs/error-reports.md.
   * @default none (process warnings without an 'error' listener)
   */
  logger?: FlipCacheLogger
  /**
   * Prefix of the tag keys (`${tagPrefix}${name}:${tag}`, one hash per tag, see docs/format.md), so
   * that `redis-cli --scan --pattern '_tag:*'` lists them. A cache name whose keys would overlap them
   * (`_tag`, say) is refused. @default '_tag:'
   */
  tagPrefix?: string
  /**
   * How instances keep their L1 coherent: `'pubsub'` broadcasts every write on `${name}:__sync`;
   * `'tracking'` adds Redis's own invalidations (writes by any client, expiries, evictions), armed
   * with NOLOOP on the client's connection: writes through that client (the caches', and your own
   * code's) do not come back to it, but caches of one name on it still hear each other's writes
   * (flipcache tells them); not with `refreshExpireTimeOnGet`. `'none'` sends nothing (L1 copies live at most `localTtl`). @default 'pubsub' with L1 on, else 'none'
   */
  sync?: SyncMode
  /**
   * The bound on staleness (with `sync` on): an instance that cannot confirm within it that it still
   * hears its sync channel (a heartbeat this client publishes every half of it, on a channel of its
   * own on the same subscriber connection, did not come back; or the subscriber connection dropped)
   * stops serving L1, reads go to Redis, until it hears again; then it drops its L1 copies. Reported
   * on 'error' (`E_SYNC_UNHEARD`). Also how long a failed invalidation notice is retried. `false`
   * turns the heartbeat off: L1 then follows only the subscriber connection's state, and a silent
   * partition can leave a copy stale up to `localTtl`. See docs/coherence.md.
   * @default '2s'
   */
  maxStaleness?: number | Duration | false
  /**
   * Also publish each written key on `${name}/update` or `${name}/delete`, and listen there, as
   * Python's redis_pubsub_dict does, for fleets that mix both. @default false
   */
  pubsubDictChannels?: boolean
  /**
   * Share the data itself with Python's redis_pubsub_dict (`RedisDict`, `PubSubRedisDict`,
   * `PubSubCacheManager` with `prefix` = this cache's name): entry `k` lives at `name/k` instead of
   * `name:k` (with a `version`, `name:v<version>/k`, a Python prefix of `name:v<version>`), so one
   * side's write is the other side's read, and every path follows it (get/set/delete and the many
   * forms, keys(), entries(), clear(), getOrSet's locks `${lockPrefix}name/k`, clearVersions,
   * writeThrough, writeBehind). It turns `pubsubDictChannels` on: each write is published on
   * `name/update`, each delete on `name/delete` (one key per message, whatever `sync` is), and
   * clear() publishes every key it removes on `name/delete`, in the round trips of its UNLINKs
   * (clearVersions, on the old version's `name:v<old>/delete`).
   * Python stores `str(key)`: for int and float keys use `keyType: 'int'` / `'float'`, for tuple keys
   * `pythonTupleKey([...])` (see docs/python/pubsubdict.md). Refused (a `TypeError`) with:
   * `pubsubDictChannels: false` (the channels are part of the contract); a `valueType` other than
   * `'msgpack'`, `'bytes'` or `'custom'` (redis_pubsub_dict's values are msgpack, which
   * `msgpack.loads` cannot read from the text types); `storage: { kind: 'hash' }` (it reads one
   * string per key); `compress` (a compressed value is framed, which Python cannot read); and
   * `hashTag` (the tag must then be part of the Python prefix, and so of its channels: name the
   * cache `{name}` instead, which keeps every key in one slot and the channels `{name}/update`).
   * A getOrSet `grace` (or `refreshAhead`) frames the values it writes, which Python cannot read.
   * @default false
   */
  pubsubDict?: boolean
  /**
   * Compresses values whose encoding is longer than `threshold` bytes with `algorithm` (node:zlib),
   * marked in a header so that reads expand them; smaller values stay raw. It decides what this
   * cache writes: every cache reads compressed values, up to `maxValueBytes`. @default false
   */
  compress?: { threshold?: number; algorithm?: CompressionAlgorithm } | false
  /**
   * Where entries live in Redis: `'string'`, one Redis string per entry (`name:key`); or packed into
   * hash buckets `name:b:<bucket>`, by `bucketSize` (with `keyType: 'int'`: key k is field k mod
   * size of bucket floor(k / size)) or by a `bucket(key) => [bucket, field]` function (give
   * `key(bucket, field)` too, for keys() and entries()). Either hash form also takes
   * `bucketPrefix`, what each bucket's Redis key starts with in place of `name:b:` (`''`: the bucket
   * alone, as dogpile's hstore names them; no keys(), entries() or clear() then), and `entryExpiry`,
   * where an entry's expiry lives: `'header'` (its own, in a header on the value) or `'bucket'` (no
   * header: the field is the value's bytes exactly, and the entry lives as long as its bucket, whose
   * TTL `bucketExpire` sets). See docs/memory.md and docs/python/dogpile.md. @default 'string'
   */
  storage?: StorageOption<K>
  /**
   * With hash buckets: when a bucket's own Redis TTL is set: 'always' (every write extends it to cover
   * the entry written, never shortening it; an entry without expiry makes the bucket persist),
   * 'on-create' (once, when the bucket is created: cheaper, but the bucket then dies with every entry
   * in it at creation + TTL), or 'never' (expired entries are only removed when read). With
   * `entryExpiry: 'bucket'` these are dogpile's `redis_expiration_time_hash` True, None and False: a
   * write without expiry leaves the bucket's TTL alone, and 'always' gives a persisting bucket the TTL.
   * @default 'always'
   */
  bucketExpire?: BucketExpire
  /**
   * Wraps the name in a Redis Cluster hash tag (`{name}:key`), so that every key of the cache lives
   * in one slot, on one shard: multi-key commands then stay whole (one MGET for a getMany), at the
   * cost of one shard holding (and serving) the whole cache. See docs/cluster.md. @default false
   */
  hashTag?: boolean
  /**
   * Write-through: `set` / `setMany` call `write(entries)` and `delete` / `deleteMany` call
   * `delete(keys)` on the source of truth first, and only once it resolves write Redis and L1; the
   * call resolves when both took it. A write the source rejects reaches no cache; when the source
   * took it and Redis failed, the keys are removed from Redis and every L1 (never the old value
   * served as fresh) and the call rejects. getOrSet's loads are not written back. See
   * docs/write-behind.md. @default none
   */
  writeThrough?: WriteThroughOption<K, V>
  /**
   * Write-behind: each `set` / `setMany` / `delete` writes Redis and a durable queue (a Redis stream)
   * in one script, and a drainer hands the queue to `flush(changes)` in batches (the latest change
   * per key, per-key order kept), at least once, with retries, a dead-letter stream and a bound
   * (`maxQueued`). Needs `hashTag: true` on a Cluster. See docs/write-behind.md. @default none
   */
  writeBehind?: WriteBehindOption<K, V>
  /**
   * The version of the values' schema: entry `k` lives at `name:v<version>:k` (`{name}:v<version>:k`
   * with `hashTag`), so a deploy that changes the value type (bump the version) never reads the
   * previous one's entries, and `clearVersions([...])` removes old versions' keys. A non-negative
   * integer or a string without whitespace, `:`, braces or glob characters. The sync and lock
   * channels are the version's own. See docs/patterns.md#versioned-namespaces. @default none (`name:k`)
   */
  version?: string | number
}

/** Options with a custom `valueDecoder` of either input, as the constructor takes them. */
export type AnyFlipCacheOptions<K, V> = FlipCacheOptions<K, V> | FlipCacheOptions<K, V, Buffer>

/** The `storage` option. */
export type StorageOption<K> =
  | 'string'
  | ({ kind: 'hash'; bucketSize: number } & BucketNaming)
  | ({
      kind: 'hash'
      bucket: (key: K) => readonly [bucket: string | number, field: string | number]
      key?: (bucket: string, field: string) => K
    } & BucketNaming)

/** How hash buckets are named and where their entries' expiry lives (see `storage`). */
export interface BucketNaming {
  /**
   * What each bucket's Redis key starts with, in place of the cache's `name:b:` (`{name}:b:` with
   * hashTag, which a prefix of your own cannot have: put a hash tag in it yourself). `''` names a
   * bucket by itself (dogpile's `user-15`); keys(), entries() and clear() then refuse, and so does
   * `sync: 'tracking'`. @default `name:b:`
   */
  bucketPrefix?: string
  /**
   * Where an entry's expiry lives: `'auto'`, in the field's own TTL (`HSETEX ... PX`, no header) on
   * a server that expires hash fields (Redis 8.0+, Valkey 9.0+; asked per server at connect time),
   * else in an expires-at header on the value; `'header'`, in the header on every server; or
   * `'bucket'`, nowhere but the bucket's TTL (the field holds the value codec's bytes exactly, as
   * dogpile's hstore backend with raw `loads`/`dumps` writes; no compress, grace or refreshAhead).
   * `refreshExpireTimeOnGet` needs `'auto'` and a server that expires fields. See docs/memory.md.
   * @default 'auto'
   */
  entryExpiry?: EntryExpiry
}

/** The options after validation, with every default filled in and durations in milliseconds. */
export interface ResolvedOptions<K, V> {
  redis: RedisInput | undefined
  localMax: number
  /** `Infinity` for no bound. */
  localMaxBytes: number
  localPolicy: LocalPolicyName
  localTtlMs: number
  expireMs: number | null
  keyCodec: KeyCodec<K>
  valueCodec: ValueCodec<V>
  maxValueBytes: number
  valueDefault: V | undefined
  cloneOnRead: boolean
  sliding: boolean
  timeoutMs: number
  logger: FlipCacheLogger | undefined
  /** The staleness bound in ms, or `null` without the heartbeat. */
  maxStalenessMs: number | null
  breaker: BreakerSettings | undefined
  /** getOrSet's defaults, with the cache's expireTime. */
  load: ResolvedLoad
  lockPrefix: string
  tagPrefix: string
  lockRelease: ((error: LockLostError) => void) | undefined
  /** The `notFound` option (a checked function). */
  notFound: (value: V) => boolean
  sync: SyncMode
  pubsubDictChannels: boolean
  /** What separates the namespace from the key: `':'`, or `'/'` with `pubsubDict`. */
  keySeparator: KeySeparator
  compression: Compression | undefined
  /** Whether msgpack values are written as records of structures registered in Redis (`sharedStructures`). */
  sharedStructures: boolean
  /** The hash-bucket layout, or `undefined` for one string per entry. */
  buckets: BucketSettings | undefined
  hashTag: boolean
  /** How writes reach the source of truth (`writeThrough`, `writeBehind`), if at all. */
  writePolicy: WritePolicy<K, V>
  /** The `version` option as it appears in keys, or `undefined` without one. */
  version: string | undefined
}
