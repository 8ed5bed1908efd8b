import { checkBucketFit, checkSlidingBuckets, resolveBucketNaming } from './bucket-options.js'
import type { AnyFlipCacheOptions, ResolvedOptions } from './cache-options.js'
import { type Compression, CompressionAlgorithm } from './entry/entry-header.js'
import { defaultMaxValueBytes, largestMaxValueBytes } from './entry/limits.js'
import type { LockLostError } from './errors.js'
import { describe } from './errors.js'
import type { Duration } from './expire/duration.js'
import { parseExpireTime, positiveDuration } from './expire/option-values.js'
import { checkLoad, type ResolvedLoad, resolveLoadDefaults } from './loading/load-options.js'
import { resolveLocalBounds } from './local/local-options.js'
import { loggerOption } from './logger-option.js'
import {
  booleanOption,
  checkKnownOptions,
  resolveBreaker,
  sizeOption,
  versionOption,
} from './option-checks.js'
import { checkRedisInput } from './redis/connection.js'
import { type BucketSettings, type HashLayout, sizedLayout } from './store/bucket-layout.js'
import { structuresPrefix } from './store/structure-keys.js'
import { SyncMode } from './sync/sync-bus.js'
import { defaultMaxKeyLength, type KeyCodec, keyCodecFor } from './types/key-type.js'
import { asReply, type ValueCodec } from './types/value-codec.js'
import { isValueTypeName, valueCodecFor, ValueTypeName as valueTypeNames } from './types/value-type.js'
import { resolveWritePolicy } from './write-policy/write-options.js'

export type {
  AnyFlipCacheOptions,
  FlipCacheOptions,
  ResolvedOptions,
  StorageOption,
} from './cache-options.js'
export type { ExpireTime } from './expire/option-values.js'
export { checkName, keyPrefixOf, namespaceOf } from './option-checks.js'

const knownOptions = new Set<string>([
  'redis',
  'localMax',
  'localMaxBytes',
  'localPolicy',
  'localTtl',
  'expireTime',
  'keyType',
  'maxKeyLength',
  'valueType',
  'maxValueBytes',
  'sharedStructures',
  'valueEncoder',
  'valueDecoder',
  'valueDecoderInput',
  'valueDefault',
  'cloneOnRead',
  'refreshExpireTimeOnGet',
  'timeout',
  'circuitBreaker',
  'logger',
  'grace',
  'refreshAhead',
  'loaderTimeout',
  'hardTimeout',
  'lock',
  'notFoundTtl',
  'notFound',
  'lockPrefix',
  'tagPrefix',
  'lockRelease',
  'sync',
  'maxStaleness',
  'pubsubDictChannels',
  'pubsubDict',
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

  const local = resolveLocalBounds(options)
  const { localMax } = local
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

  const sync = resolveSync(options.sync, localMax)
  if (sliding && sync === 'tracking') {
    throw new TypeError(
      "Expected `refreshExpireTimeOnGet: true` without `sync: 'tracking'`: Redis's client tracking counts each TTL touch (PEXPIRE, GETEX PX) as a change of the key, so every read on one instance would drop the other instances' L1 copies. Use `sync: 'pubsub'` (the default), which tells only of writes",
    )
  }

  const valueCodec = resolveValueCodec(options)
  const pubsubDict = resolvePubsubDictLayout(options)
  const resolved: ResolvedOptions<K, V> = {
    redis: options.redis,
    ...local,
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
    logger: loggerOption(options.logger),
    breaker: resolveBreaker(options.circuitBreaker),
    load: resolveCacheLoad(options, expireMs),
    lockPrefix: resolvePrefix('lockPrefix', options.lockPrefix, '_lock:'),
    tagPrefix: resolvePrefix('tagPrefix', options.tagPrefix, '_tag:'),
    lockRelease: resolveLockRelease(options.lockRelease),
    notFound: resolveNotFound(options.notFound),
    sync,
    maxStalenessMs: resolveMaxStaleness(options.maxStaleness),
    pubsubDictChannels: pubsubDict || resolvePubsubDict(options.pubsubDictChannels),
    keySeparator: pubsubDict ? '/' : ':',
    compression: resolveCompression(options.compress),
    sharedStructures: resolveSharedStructures(options, pubsubDict),
    buckets: resolveStorage(options, keyCodec),
    hashTag: booleanOption('hashTag', options.hashTag, false),
    writePolicy: resolveWritePolicy(
      options.writeThrough,
      options.writeBehind,
      options.storage !== undefined && options.storage !== 'string',
    ),
    version: options.version === undefined ? undefined : versionOption('`version`', options.version),
  }
  checkBucketFit(resolved.buckets, resolved)
  return resolved
}

/** The `sharedStructures` option: a boolean, and only with `valueType: 'msgpack'`, which it writes. */
function resolveSharedStructures<K, V>(options: AnyFlipCacheOptions<K, V>, pubsubDict: boolean): boolean {
  if (!booleanOption('sharedStructures', options.sharedStructures, false)) return false
  if (options.valueType !== 'msgpack') {
    throw new TypeError(
      `\`sharedStructures: true\` needs \`valueType: 'msgpack'\` (it writes MessagePack records), got valueType ${describe(options.valueType ?? 'superjson')}`,
    )
  }
  if (pubsubDict) {
    throw new TypeError(
      '`sharedStructures: true` cannot be used with `pubsubDict: true`: Python reads plain MessagePack, not records of structures kept in Redis',
    )
  }
  return true
}

/**
 * Refuses a namespace that overlaps the lock keys (`${lockPrefix}${keyPrefix}${key}` of every cache
 * with this lockPrefix): its keys(), entries() and clear() would list and delete other caches'
 * getOrSet locks, whose holders would then lose them (`E_LOCK_LOST`) while a second loader runs.
 * Likewise the tag keys (`${tagPrefix}${keyPrefix}${tag}`): a clear() that deleted them would
 * bring tag-invalidated entries back; and the shared-structure registries (`_structures:…`), whose
 * loss makes every record written of them a miss.
 */
export function checkApartFromLocks(
  name: string,
  keyPrefix: string,
  lockPrefix: string,
  tagPrefix = '_tag:',
): void {
  for (const [prefix, what, option] of [
    [lockPrefix, 'getOrSet locks', 'lockPrefix'],
    [tagPrefix, 'tag keys', 'tagPrefix'],
    [structuresPrefix, 'shared-structure registries', undefined],
  ] as const) {
    if (!keyPrefix.startsWith(prefix) && !prefix.startsWith(keyPrefix)) continue
    const where = option === undefined ? `\`${prefix}*\`` : `\`${prefix}*\`, the \`${option}\``
    throw new TypeError(
      `Expected the cache name ${describe(name)} to keep its keys (\`${keyPrefix}*\`) apart from the ${what} (${where}): choose another name${option === undefined ? '' : ` or another ${option}`}`,
    )
  }
}

function resolveStorage<K, V>(
  options: AnyFlipCacheOptions<K, V>,
  keys: KeyCodec<K>,
): BucketSettings | undefined {
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
  // 'always' by default: with 'on-create' a bucket dies at its creation + TTL, taking with it entries
  // written later that should have outlived it.
  const expire = bucketExpire ?? 'always'
  const naming = resolveBucketNaming(storage, options.hashTag)
  if (options.refreshExpireTimeOnGet === true) checkSlidingBuckets(naming.expiry, expire)
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
    return { layout: sizedLayout(bucketSize), expire, ...naming }
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
    ...naming,
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

/**
 * The `pubsubDict` option, refused (a `TypeError` that says why) with every option that would make
 * flipcache's keys, values or channels differ from redis_pubsub_dict's (see its JSDoc).
 */
function resolvePubsubDictLayout<K, V>(options: AnyFlipCacheOptions<K, V>): boolean {
  if (!booleanOption('pubsubDict', options.pubsubDict, false)) return false
  const refuse = (why: string): never => {
    throw new TypeError(`\`pubsubDict: true\` ${why}`)
  }
  if (options.pubsubDictChannels === false) {
    refuse(
      "speaks redis_pubsub_dict's `<name>/update` and `<name>/delete` channels: it cannot be combined with `pubsubDictChannels: false`",
    )
  }
  const valueType = options.valueType
  if (valueType !== 'msgpack' && valueType !== 'bytes' && valueType !== 'custom') {
    refuse(
      `needs \`valueType: 'msgpack'\` (or 'bytes' or 'custom' holding msgpack): redis_pubsub_dict reads every value with msgpack.loads, got valueType ${describe(valueType ?? 'superjson')}`,
    )
  }
  if (options.storage !== undefined && options.storage !== 'string') {
    refuse(
      "cannot use hash buckets (`storage: { kind: 'hash' }`): redis_pubsub_dict reads one string per key",
    )
  }
  if (options.compress !== undefined && options.compress !== false) {
    refuse('cannot use `compress`: a compressed value is framed with a header that msgpack.loads cannot read')
  }
  if (options.hashTag === true) {
    refuse(
      'cannot use `hashTag`: the tag would have to be part of the Python prefix, and so of its channels; name the cache `{name}` instead (keys `{name}/key` share one slot, channels `{name}/update` and `{name}/delete`)',
    )
  }
  for (const option of ['grace', 'refreshAhead'] as const) {
    const value = options[option]
    if (value !== undefined && value !== 0 && value !== false) {
      refuse(
        `cannot use \`${option}\`: getOrSet would frame the values it writes with a freshness header that msgpack.loads cannot read`,
      )
    }
  }
  return true
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

/** `lockPrefix` or `tagPrefix`: a non-empty string without whitespace. */
function resolvePrefix(option: string, prefix: unknown, byDefault: string): string {
  if (prefix === undefined) return byDefault
  if (typeof prefix !== 'string' || prefix.length === 0 || /\s/.test(prefix)) {
    throw new TypeError(
      `Expected \`${option}\` to be a non-empty string without whitespace, got ${describe(prefix)}`,
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

/** By default, `null` and `undefined` are "not found". */
const nullOrUndefined = (value: unknown): boolean => value === null || value === undefined

function resolveNotFound<V>(predicate: unknown): (value: V) => boolean {
  if (predicate === undefined) return nullOrUndefined
  if (typeof predicate !== 'function')
    throw new TypeError(
      `Expected \`notFound\` to be a function of the loaded value, got ${describe(predicate)}`,
    )
  return predicate as (value: V) => boolean
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
