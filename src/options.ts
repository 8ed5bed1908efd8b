import { type Compression, CompressionAlgorithm } from './entry/entry-header.js'
import { defaultMaxValueBytes, largestMaxValueBytes } from './entry/limits.js'
import type { LockLostError } from './errors.js'
import { describe } from './errors.js'
import type { Duration } from './expire/duration.js'
import { type ExpireTime, parseExpireTime, positiveDuration } from './expire/option-values.js'
import {
  checkLoad,
  type LockOptions,
  type ResolvedLoad,
  resolveLoadDefaults,
} from './loading/load-options.js'
import {
  booleanOption,
  type CircuitBreakerOption,
  checkKnownOptions,
  resolveBreaker,
  sizeOption,
  versionOption,
} from './option-checks.js'
import type { BreakerSettings } from './redis/circuit-breaker.js'
import { checkRedisInput, type RedisInput } from './redis/connection.js'
import { type BucketExpire, type HashLayout, sizedLayout } from './store/hash-store.js'
import { SyncMode } from './sync/sync-bus.js'
import { defaultMaxKeyLength, type KeyCodec, type KeyTypeFor, keyCodecFor } from './types/key-type.js'
import { asReply, type RedisValue, type ValueCodec } from './types/value-codec.js'
import {
  isValueTypeName,
  type ValueTypeFor,
  valueCodecFor,
  ValueTypeName as valueTypeNames,
} from './types/value-type.js'
import {
  resolveWritePolicy,
  type WriteBehindOption,
  type WritePolicy,
  type WriteThroughOption,
} from './write-policy/write-options.js'

export type { ExpireTime } from './expire/option-values.js'
export { checkName, keyPrefixOf, namespaceOf } from './option-checks.js'

/**
 * The options of a cache of keys `K` and values `V`. `keyType` and `valueType` must fit `K` and `V`
 * (see `KeyTypeFor` and `ValueTypeFor`). `Raw` is what a custom `valueDecoder` receives: `string`,
 * or `Buffer` with `valueDecoderInput: 'buffer'`.
 */
export interface FlipCacheOptions<K, V, Raw extends RedisValue = string> {
  /**
   * An ioredis `Redis` or `Cluster` you own and share (never closed by flipcache), or a `redis://`
   * URL / ioredis options, for which flipcache opens a client of its own and closes it in `close()`.
   * Anything else (a node-redis client, an instance of some class) is refused with a `TypeError`, and
   * so is a client or options with ioredis's `keyPrefix` (SCAN patterns and pub/sub do not get it).
   * @default a client for `process.env.REDIS_URL`, else `'redis://127.0.0.1:6379'`
   */
  redis?: RedisInput
  /** Most entries kept decoded in process memory (L1); `0` turns L1 off. @default 1000 */
  localMax?: number
  /** Longest an L1 copy is served without going back to Redis: ms or a duration. @default expireTime, or 60 s when there is none */
  localTtl?: number | Duration
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
  /** Sliding expiry: every read, L1 hits included, pushes the Redis TTL back to `expireTime`. Needs an `expireTime`. @default false */
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
  /** getOrSet default: how long past freshness a stale value may still be served. @default 0 */
  grace?: number | Duration
  /** getOrSet default: the fraction of `expireTime` after which a read refreshes in the background. @default off */
  refreshAhead?: number | false
  /** getOrSet default for its soft `timeout` (named apart from `timeout`, which bounds Redis operations). @default 0 */
  loaderTimeout?: number | Duration
  /**
   * getOrSet default: past it, the call rejects with `E_LOADER_TIMEOUT`. Without it, a loader that
   * never returns holds every caller of its key until the cache closes. @default none
   */
  hardTimeout?: number | Duration
  /** getOrSet default: the distributed lock, or `false` for the in-process single-flight only. @default { ttl: '10s', wait: ttl } */
  lock?: LockOptions | false
  /**
   * Prefix of getOrSet's lock keys (`${lockPrefix}${name}:${key}`), so that `redis-cli --scan --pattern '_lock:*'`
   * lists them. A cache name whose keys would overlap them (`_lock`, say) is refused. @default '_lock:'
   */
  lockPrefix?: string
  /**
   * Called when a getOrSet lock expired or was deleted (FLUSHALL, eviction) before its holder
   * released it; the loaded value is still returned and stored. @default reports it on 'error' (`E_LOCK_LOST`)
   */
  lockRelease?: (error: LockLostError) => void
  /**
   * How instances keep their L1 coherent: `'pubsub'` broadcasts every write on `${name}:__sync`;
   * `'tracking'` adds Redis's own invalidations (writes by any client, expiries, evictions);
   * `'none'` sends nothing (L1 copies live at most `localTtl`). @default 'pubsub' with L1 on, else 'none'
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
   * Compresses values whose encoding is longer than `threshold` bytes with `algorithm` (node:zlib),
   * marked in a header so that reads expand them; smaller values stay raw. It decides what this
   * cache writes: every cache reads compressed values, up to `maxValueBytes`. @default false
   */
  compress?: { threshold?: number; algorithm?: CompressionAlgorithm } | false
  /**
   * Where entries live in Redis: `'string'`, one Redis string per entry (`name:key`); or packed into
   * hash buckets `name:b:<bucket>`, by `bucketSize` (with `keyType: 'int'`: key k is field k mod
   * size of bucket floor(k / size)) or by a `bucket(key) => [bucket, field]` function (give
   * `key(bucket, field)` too, for keys() and entries()). See docs/memory.md. @default 'string'
   */
  storage?: StorageOption<K>
  /**
   * With hash buckets: when a bucket's own Redis TTL is set: 'always' (every write extends it to cover
   * the entry written, never shortening it; an entry without expiry makes the bucket persist),
   * 'on-create' (once, when the bucket is created: cheaper, but the bucket then dies with every entry
   * in it at creation + TTL), or 'never' (expired entries are only removed when read).
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
  | { kind: 'hash'; bucketSize: number }
  | {
      kind: 'hash'
      bucket: (key: K) => readonly [bucket: string | number, field: string | number]
      key?: (bucket: string, field: string) => K
    }

/** The options after validation, with every default filled in and durations in milliseconds. */
export interface ResolvedOptions<K, V> {
  redis: RedisInput | undefined
  localMax: number
  localTtlMs: number
  expireMs: number | null
  keyCodec: KeyCodec<K>
  valueCodec: ValueCodec<V>
  maxValueBytes: number
  valueDefault: V | undefined
  cloneOnRead: boolean
  sliding: boolean
  timeoutMs: number
  /** The staleness bound in ms, or `null` without the heartbeat. */
  maxStalenessMs: number | null
  breaker: BreakerSettings | undefined
  /** getOrSet's defaults, with the cache's expireTime. */
  load: ResolvedLoad
  lockPrefix: string
  lockRelease: ((error: LockLostError) => void) | undefined
  sync: SyncMode
  pubsubDictChannels: boolean
  compression: Compression | undefined
  /** The hash-bucket layout, or `undefined` for one string per entry. */
  buckets: { layout: HashLayout; expire: BucketExpire } | undefined
  hashTag: boolean
  /** How writes reach the source of truth (`writeThrough`, `writeBehind`), if at all. */
  writePolicy: WritePolicy<K, V>
  /** The `version` option as it appears in keys, or `undefined` without one. */
  version: string | undefined
}

const knownOptions = new Set<string>([
  'redis',
  'localMax',
  'localTtl',
  'expireTime',
  'keyType',
  'maxKeyLength',
  'valueType',
  'maxValueBytes',
  'valueEncoder',
  'valueDecoder',
  'valueDecoderInput',
  'valueDefault',
  'cloneOnRead',
  'refreshExpireTimeOnGet',
  'timeout',
  'circuitBreaker',
  'grace',
  'refreshAhead',
  'loaderTimeout',
  'hardTimeout',
  'lock',
  'lockPrefix',
  'lockRelease',
  'sync',
  'maxStaleness',
  'pubsubDictChannels',
  'compress',
  'storage',
  'bucketExpire',
  'hashTag',
  'writeThrough',
  'writeBehind',
  'version',
])

/** Validates every option once, quoting the bad value in a `TypeError`, and fills in the defaults. */
export function resolveOptions<K, V>(options: AnyFlipCacheOptions<K, V> = {}): ResolvedOptions<K, V> {
  checkKnownOptions(options, knownOptions)
  checkRedisInput(options.redis)

  const localMax = options.localMax === undefined ? 1000 : options.localMax
  if (!Number.isSafeInteger(localMax) || localMax < 0) {
    throw new TypeError(`Expected \`localMax\` to be a non-negative integer, got ${describe(localMax)}`)
  }
  const expireMs = options.expireTime === undefined ? null : parseExpireTime(options.expireTime)
  const localTtlMs =
    options.localTtl === undefined ? (expireMs ?? 60_000) : positiveDuration('localTtl', options.localTtl)
  const timeoutMs = options.timeout === undefined ? 1000 : positiveDuration('timeout', options.timeout)

  const keyCodec = keyCodecFor(
    options.keyType === undefined ? 'string' : options.keyType,
    sizeOption('maxKeyLength', options.maxKeyLength, defaultMaxKeyLength, Number.MAX_SAFE_INTEGER),
  )
  const sliding = options.refreshExpireTimeOnGet === undefined ? false : options.refreshExpireTimeOnGet
  if (typeof sliding !== 'boolean') {
    throw new TypeError(`Expected \`refreshExpireTimeOnGet\` to be a boolean, got ${describe(sliding)}`)
  }
  if (sliding && expireMs === null) {
    throw new TypeError('`refreshExpireTimeOnGet: true` needs an `expireTime` to refresh to')
  }

  const valueCodec = resolveValueCodec(options)
  return {
    redis: options.redis,
    localMax,
    localTtlMs,
    expireMs,
    keyCodec,
    valueCodec,
    maxValueBytes: sizeOption(
      'maxValueBytes',
      options.maxValueBytes,
      defaultMaxValueBytes,
      largestMaxValueBytes,
    ),
    valueDefault: options.valueDefault,
    cloneOnRead: resolveCloneOnRead(options.cloneOnRead, options.valueDefault, valueCodec),
    sliding,
    timeoutMs,
    breaker: resolveBreaker(options.circuitBreaker),
    load: resolveCacheLoad(options, expireMs),
    lockPrefix: resolveLockPrefix(options.lockPrefix),
    lockRelease: resolveLockRelease(options.lockRelease),
    sync: resolveSync(options.sync, localMax),
    maxStalenessMs: resolveMaxStaleness(options.maxStaleness),
    pubsubDictChannels: resolvePubsubDict(options.pubsubDictChannels),
    compression: resolveCompression(options.compress),
    buckets: resolveStorage(options, keyCodec),
    hashTag: booleanOption('hashTag', options.hashTag, false),
    writePolicy: resolveWritePolicy(
      options.writeThrough,
      options.writeBehind,
      options.storage !== undefined && options.storage !== 'string',
    ),
    version: options.version === undefined ? undefined : versionOption('`version`', options.version),
  }
}

/**
 * Refuses a namespace that overlaps the lock keys (`${lockPrefix}${keyPrefix}${key}` of every cache
 * with this lockPrefix): its keys(), entries() and clear() would list and delete other caches'
 * getOrSet locks, whose holders would then lose them (`E_LOCK_LOST`) while a second loader runs.
 */
export function checkApartFromLocks(name: string, keyPrefix: string, lockPrefix: string): void {
  if (!keyPrefix.startsWith(lockPrefix) && !lockPrefix.startsWith(keyPrefix)) return
  throw new TypeError(
    `Expected the cache name ${describe(name)} to keep its keys (\`${keyPrefix}*\`) apart from the getOrSet locks (\`${lockPrefix}*\`, the \`lockPrefix\`): choose another name or another lockPrefix`,
  )
}

function resolveStorage<K, V>(
  options: AnyFlipCacheOptions<K, V>,
  keys: KeyCodec<K>,
): { layout: HashLayout; expire: BucketExpire } | undefined {
  const { storage = 'string', bucketExpire } = options
  if (bucketExpire !== undefined && !['never', 'on-create', 'always'].includes(bucketExpire)) {
    throw new TypeError(
      `Expected \`bucketExpire\` to be 'never', 'on-create' or 'always', got ${describe(bucketExpire)}`,
    )
  }
  if (storage === 'string') {
    if (bucketExpire !== undefined)
      throw new TypeError("`bucketExpire` needs `storage: { kind: 'hash', ... }`")
    return undefined
  }
  if (typeof storage !== 'object' || storage === null || storage.kind !== 'hash') {
    throw new TypeError(
      `Expected \`storage\` to be 'string', { kind: 'hash', bucketSize } or { kind: 'hash', bucket }, got ${describe(storage)}`,
    )
  }
  if (options.refreshExpireTimeOnGet === true) {
    throw new TypeError(
      '`refreshExpireTimeOnGet` is not available with hash buckets: their fields have no TTL of their own',
    )
  }
  // 'always' by default: with 'on-create' a bucket dies at its creation + TTL, taking with it entries
  // written later that should have outlived it.
  const expire = bucketExpire ?? 'always'
  if ('bucketSize' in storage) {
    const { bucketSize } = storage
    if (!Number.isSafeInteger(bucketSize) || bucketSize < 1) {
      throw new TypeError(
        `Expected \`storage.bucketSize\` to be a positive integer, got ${describe(bucketSize)}`,
      )
    }
    if (options.keyType !== 'int') {
      throw new TypeError(
        "`storage.bucketSize` needs `keyType: 'int'`; for other keys give `storage.bucket(key)`",
      )
    }
    return { layout: sizedLayout(bucketSize), expire }
  }
  const { bucket, key } = storage as { bucket?: unknown; key?: unknown }
  if (typeof bucket !== 'function') {
    throw new TypeError(
      `Expected \`storage.bucket\` to be a function (key) => [bucket, field], got ${describe(bucket)}`,
    )
  }
  if (key !== undefined && typeof key !== 'function') {
    throw new TypeError(
      `Expected \`storage.key\` to be a function (bucket, field) => key, got ${describe(key)}`,
    )
  }
  return {
    layout: customLayout(
      keys,
      bucket as (key: K) => readonly [unknown, unknown],
      key as ((b: string, f: string) => K) | undefined,
    ),
    expire,
  }
}

/** A layout from the user's `bucket(key)` (and `key(bucket, field)`), over decoded keys. */
function customLayout<K>(
  keys: KeyCodec<K>,
  bucketOf: (key: K) => readonly [unknown, unknown],
  keyOf: ((bucket: string, field: string) => K) | undefined,
): HashLayout {
  return {
    place(encoded) {
      const placement: unknown = bucketOf(keys.decode(encoded))
      if (!Array.isArray(placement) || placement.length !== 2) {
        throw new TypeError(
          `Expected \`storage.bucket\` to return [bucket, field], got ${describe(placement)}`,
        )
      }
      const [bucket, field] = placement.map((part) => String(part))
      if (!bucket || !field) {
        throw new TypeError(
          `Expected \`storage.bucket\` to return a non-empty bucket and field, got ${describe(placement)}`,
        )
      }
      return [bucket, field]
    },
    keyOf: (bucket, field) => (keyOf === undefined ? undefined : keys.encode(keyOf(bucket, field))),
  }
}

function resolveCompression(option: unknown): Compression | undefined {
  if (option === undefined || option === false) return undefined
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(
      `Expected \`compress\` to be false or { threshold, algorithm }, got ${describe(option)}`,
    )
  }
  for (const field of Object.keys(option)) {
    if (field !== 'threshold' && field !== 'algorithm') {
      throw new TypeError(`Unknown \`compress\` field \`${field}\`; known fields: threshold, algorithm`)
    }
  }
  const { threshold = 1024, algorithm = 'gzip' } = option as { threshold?: unknown; algorithm?: unknown }
  if (!Number.isSafeInteger(threshold) || (threshold as number) < 0) {
    throw new TypeError(
      `Expected \`compress.threshold\` to be a non-negative integer of bytes, got ${describe(threshold)}`,
    )
  }
  if (typeof algorithm !== 'string' || !Object.hasOwn(CompressionAlgorithm, algorithm)) {
    throw new TypeError(
      `Expected \`compress.algorithm\` to be 'gzip', 'deflate' or 'brotli', got ${describe(algorithm)}`,
    )
  }
  return { thresholdBytes: threshold as number, algorithm: algorithm as CompressionAlgorithm }
}

/** `cloneOnRead`; an object `valueDefault` must then be a value of the value type, which copies it. */
function resolveCloneOnRead<V>(option: unknown, valueDefault: V | undefined, codec: ValueCodec<V>): boolean {
  if (option === undefined) return false
  if (typeof option !== 'boolean') {
    throw new TypeError(`Expected \`cloneOnRead\` to be a boolean, got ${describe(option)}`)
  }
  if (option && typeof valueDefault === 'object' && valueDefault !== null) {
    try {
      codec.decode(asReply(codec.encode(valueDefault), codec.reply))
    } catch (error) {
      throw new TypeError(
        `Expected \`valueDefault\` to be a value of the cache's valueType with \`cloneOnRead: true\` (each miss gets a copy made through it), got ${describe(valueDefault)}`,
        { cause: error },
      )
    }
  }
  return option
}

function resolvePubsubDict(option: unknown): boolean {
  if (option === undefined) return false
  if (typeof option !== 'boolean') {
    throw new TypeError(`Expected \`pubsubDictChannels\` to be a boolean, got ${describe(option)}`)
  }
  return option
}

function resolveSync(sync: unknown, localMax: number): SyncMode {
  if (sync === undefined) return localMax > 0 ? 'pubsub' : 'none'
  if (typeof sync !== 'string' || !Object.hasOwn(SyncMode, sync)) {
    throw new TypeError(`Expected \`sync\` to be 'pubsub', 'tracking' or 'none', got ${describe(sync)}`)
  }
  return sync as SyncMode
}

function resolveCacheLoad<K, V>(options: AnyFlipCacheOptions<K, V>, expireMs: number | null): ResolvedLoad {
  const load: ResolvedLoad = { expireMs, ...resolveLoadDefaults(options) }
  checkLoad(load)
  return load
}

function resolveLockPrefix(prefix: unknown): string {
  if (prefix === undefined) return '_lock:'
  if (typeof prefix !== 'string' || prefix.length === 0 || /\s/.test(prefix)) {
    throw new TypeError(
      `Expected \`lockPrefix\` to be a non-empty string without whitespace, got ${describe(prefix)}`,
    )
  }
  return prefix
}

function resolveLockRelease(hook: unknown): ((error: LockLostError) => void) | undefined {
  if (hook === undefined) return undefined
  if (typeof hook !== 'function')
    throw new TypeError(`Expected \`lockRelease\` to be a function, got ${describe(hook)}`)
  return hook as (error: LockLostError) => void
}

export function resolveValueCodec<K, V>(options: AnyFlipCacheOptions<K, V>): ValueCodec<V> {
  const valueType = options.valueType === undefined ? 'superjson' : options.valueType
  if (!isValueTypeName(valueType)) {
    throw new TypeError(
      `Expected \`valueType\` to be one of ${Object.keys(valueTypeNames)
        .map((name) => `'${name}'`)
        .join(', ')}, got ${describe(valueType)}`,
    )
  }
  const { valueEncoder, valueDecoder, valueDecoderInput = 'string' } = options
  if (valueType !== 'custom') {
    if (valueEncoder !== undefined || valueDecoder !== undefined || options.valueDecoderInput !== undefined) {
      throw new TypeError(
        `\`valueEncoder\`, \`valueDecoder\` and \`valueDecoderInput\` need \`valueType: 'custom'\`, got valueType '${valueType}'`,
      )
    }
    return valueCodecFor<V>(valueType, undefined)
  }
  if (typeof valueEncoder !== 'function') {
    throw new TypeError(`Expected \`valueEncoder\` to be a function, got ${describe(valueEncoder)}`)
  }
  if (typeof valueDecoder !== 'function') {
    throw new TypeError(`Expected \`valueDecoder\` to be a function, got ${describe(valueDecoder)}`)
  }
  if (valueDecoderInput !== 'string' && valueDecoderInput !== 'buffer') {
    throw new TypeError(
      `Expected \`valueDecoderInput\` to be 'string' or 'buffer', got ${describe(valueDecoderInput)}`,
    )
  }
  return valueCodecFor<V>('custom', {
    encoder: valueEncoder,
    // Called with a string, or a Buffer with decodeBytes (customCodec).
    decoder: valueDecoder as (raw: string) => V,
    decodeBytes: valueDecoderInput === 'buffer',
  })
}

/** Shortest staleness bound: the heartbeat goes every half of it, and each is one PUBLISH. */
const minStalenessMs = 100

function resolveMaxStaleness(value: number | Duration | false | undefined): number | null {
  if (value === false) return null
  if (value === undefined) return 2000
  const ms = positiveDuration('maxStaleness', value)
  if (ms < minStalenessMs) {
    throw new TypeError(
      `Expected \`maxStaleness\` to be at least ${minStalenessMs} ms (or false), got ${describe(value)}`,
    )
  }
  return ms
}
