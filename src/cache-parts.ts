import type { EventEmitter } from 'node:events'
import { checkLoadFits } from './bucket-options.js'
import * as clock from './clock.js'
import { CacheCore } from './core/cache-core.js'
import { CacheState } from './core/cache-state.js'
import { NamespaceScan } from './core/namespace-scan.js'
import type { Flight } from './core/reads.js'
import { EntryCodec } from './entry/entry-codec.js'
import type { ReportContext } from './error-reporter.js'
import { CacheClosedError, DecodeError, FlipCacheError } from './errors.js'
import { ReadThrough } from './loading/read-through.js'
import { LocalTier } from './local/local-tier.js'
import { LockNotices } from './lock/lock-notices.js'
import { Locks } from './lock/locks.js'
import { tellEvicted } from './observe/events.js'
import { keyPrefixOf, namespaceOf, type ResolvedOptions } from './options.js'
import { type Connection, connect, type RedisClient } from './redis/connection.js'
import { isCluster } from './redis/slot-router.js'
import { transportOf } from './redis/transport.js'
import type { TransportView } from './redis/transport-view.js'
import type { StatsCounter } from './stats.js'
import { OldVersions } from './store/old-versions.js'
import { openStore } from './store/open-store.js'
import { StructureKeys, structuresKeyOf } from './store/structure-keys.js'
import { StructureRegistry } from './store/structure-registry.js'
import { TagKeys } from './store/tag-keys.js'
import { Coherence } from './sync/coherence.js'
import { instanceId } from './sync/instance-id.js'
import { untilListening } from './sync/listening-gate.js'
import { subscriberHub } from './sync/subscriber-hub.js'
import { sharedStructuresCodec } from './types/shared-structures.js'
import type { ValueCodec } from './types/value-codec.js'
import { openWritePath } from './write-policy/open-write-path.js'
import type { WritePath } from './write-policy/write-path.js'

/** What the parts of a cache need from the facade that owns them. */
export interface CacheHooks {
  /** Hears 'invalidate' events. */
  emitter: EventEmitter
  stats: StatsCounter
  /** Failures no caller awaits. */
  report: (error: FlipCacheError, context?: ReportContext) => void
  /** Whether the cache is closing. */
  closed: () => boolean
}

/** The parts of one FlipCache, wired together; the facade holds them and calls down into them. */
export interface CacheParts<K, V> {
  /** What every Redis key of the cache starts with (`name:`, `{name}:`, with `v<version>:`). */
  keyPrefix: string
  connection: Connection
  /** The core's state, held by the facade too: an L1 hit is one lookup away from the caller. */
  state: CacheState<V, Flight<V>>
  core: CacheCore<V>
  coherence: Coherence<K, V>
  locks: Locks
  readThrough: ReadThrough<K, V>
  /** Where set, setMany, delete and deleteMany go: the cache alone, write-through or write-behind. */
  writes: WritePath<K, V>
  oldVersions: OldVersions
  scan: NamespaceScan<K, V>
  /**
   * Resolves once the cache hears the other instances, or `timeout` passed, or the client is seen
   * to fail (the first calls wait for it); `undefined` with `sync: 'none'`.
   */
  starting: Promise<void> | undefined
}

/**
 * Opens the connection and wires a cache's parts, bottom up: the store on the client's transport,
 * the state and its L1, coherence (sync bus, tracking), the core, the locks and read-through, the
 * write path, the scans. A failure on the way closes what was opened (a client the cache opened
 * would reconnect forever; a subscription asked for would keep a shared connection open).
 */
export function assembleCache<K, V>(
  name: string,
  options: ResolvedOptions<K, V>,
  hooks: CacheHooks,
): CacheParts<K, V> {
  const { localMax, localTtlMs, expireMs, sliding, timeoutMs, valueCodec, compression, maxValueBytes } =
    options
  const keyPrefix = keyPrefixOf(name, options.hashTag, options.version, options.keySeparator)
  // Channels follow the version: other versions hold other keys, so their writes concern us not.
  const namespace = namespaceOf(name, options.version)
  const connection = connect(options.redis)
  let coherence: Coherence<K, V> | undefined
  // A cache whose wiring failed is closed from the start, for the parts already made.
  let failed = false
  const closed = (): boolean => failed || hooks.closed()
  try {
    const client = connection.client
    const batcher = transportOf(client).for(timeoutMs)
    // Hash buckets write each entry with a TTL of its own where the server has them: the first calls
    // wait for its answer (within `timeout`), so that they already write what it can do.
    const fieldsAsked =
      options.buckets === undefined || options.buckets.expiry === 'bucket'
        ? undefined
        : batcher.features.settled(timeoutMs)
    const store = openStore(batcher, name, keyPrefix, {
      // Always bytes: a value may be compressed, and text must be checked to be UTF-8 (EntryCodec).
      reply: 'buffer',
      buckets: options.buckets,
    })
    // Redis's tracking names a bucket, not the keys in it: an index of them spares a scan of L1.
    const bucketOf = options.sync === 'tracking' ? store.bucketOf : undefined
    // Tag counts are kept as long as L1 copies are; not at all with neither L1 nor messages.
    const tagTtlMs = localMax === 0 && options.sync === 'none' ? 0 : localTtlMs
    const state = new CacheState<V, Flight<V>>(
      new LocalTier(localMax, localTtlMs, (key) => tellEvicted(name, key), {
        policy: options.localPolicy,
        maxBytes: options.localMaxBytes,
      }),
      bucketOf,
      tagTtlMs,
    )
    const { report, stats } = hooks
    const structures = options.sharedStructures ? openStructures(batcher, keyPrefix, hooks) : undefined
    const entries = new EntryCodec<V>(
      // `sharedStructures` is refused but with valueType 'msgpack', whose values are `unknown`.
      structures === undefined ? valueCodec : (structures.codec as ValueCodec<V>),
      compression,
      (key) => store.redisKey(key),
      maxValueBytes,
      // Hash buckets with expiry per bucket store each value as its codec's bytes, with no header.
      options.buckets?.expiry !== 'bucket',
    )
    const origin = instanceId()
    const made = new Coherence<K, V>({
      name: namespace,
      // Buckets named apart from the cache (`storage.bucketPrefix`) are tracked under their prefix.
      keyPrefix: store.trackedPrefix ?? keyPrefix,
      sync: options.sync,
      pubsubDict: options.pubsubDictChannels,
      client,
      batcher,
      timeoutMs,
      maxStalenessMs: options.maxStalenessMs,
      report,
      origin,
      state,
      keys: options.keyCodec,
      holds: (suffix) => store.holds(suffix),
      writesInPart: options.buckets !== undefined,
      emitter: hooks.emitter,
      closed,
    })
    coherence = made
    const core = new CacheCore({
      store,
      state,
      entries,
      stats,
      valueDefault: options.valueDefault,
      cloneOnRead: options.cloneOnRead,
      slidingMs: sliding ? expireMs : null,
      announce: (keys, deleted) => made.written(keys, deleted),
      announceCleared: () => made.cleared(),
      // redis_pubsub_dict's clear() publishes each key it deletes; a fleet sharing its data expects that.
      ...(options.keySeparator === '/' ? { announceRemoved: (keys: string[]) => made.removed(keys) } : {}),
      report,
      tagKeys: new TagKeys(batcher, `${options.tagPrefix}${keyPrefix}`),
      announceTags: (stamps, published) => made.tagsInvalidated(stamps, published),
      tagNotice: () => made.tagNotice(),
    })
    const notices = new LockNotices({
      name: namespace,
      origin,
      batcher,
      hub: subscriberHub(client),
      timeoutMs,
      sharded: isCluster(client),
    })
    const locks = new Locks(batcher, `${options.lockPrefix}${keyPrefix}`, notices)
    return {
      keyPrefix,
      connection,
      state,
      core,
      coherence: made,
      locks,
      readThrough: new ReadThrough<K, V>(core, locks, {
        name,
        where: (key) => store.redisKey(key),
        report,
        lockRelease: options.lockRelease,
        closed: () => new CacheClosedError(name),
        timeoutMs,
        notFound: options.notFound,
        fits: (load) => checkLoadFits(options.buckets, load),
      }),
      writes: openWritePath({
        name,
        policy: options.writePolicy,
        core,
        client,
        transport: batcher,
        keyPrefix,
        hashTag: options.hashTag,
        redisKey: (key) => store.redisKey(key),
        keys: options.keyCodec,
        consumer: origin,
        report,
      }),
      oldVersions: new OldVersions(
        batcher,
        name,
        options.hashTag,
        options.version,
        options.keySeparator,
        // An old version's Python peers (prefix `name:v<old>`) hear of each key removed, as clear()'s do.
        options.keySeparator === '/' ? (old, keys) => made.removed(keys, old) : undefined,
      ),
      scan: new NamespaceScan({
        store,
        keys: options.keyCodec,
        entries,
        report,
        failed: () => {
          stats.errors++
        },
        judge: (live, now) => core.tagVerdicts(live, now),
      }),
      // The first calls wait until the cache hears the other instances, so that L1 is in use from
      // the start, and until a hash cache knows whether its server expires fields; not past
      // `timeout`, nor once the client is seen to fail: then they go on, without L1 until it does.
      starting: startingWaits(
        options.sync === 'none' ? undefined : made.ready,
        // And until the structures of `sharedStructures` are loaded (a failure leaves them to the reads).
        structures === undefined ? fieldsAsked : Promise.all([fieldsAsked, structures.loaded]).then(() => {}),
        client,
        timeoutMs,
      ),
    }
  } catch (error) {
    failed = true
    coherence?.close().catch(() => {})
    if (connection.owned) connection.client.disconnect()
    throw error
  }
}

/**
 * The codec of `sharedStructures` over the namespace's registry, and its first load (which never
 * rejects: a failure is reported, and readers load it again when they meet an id).
 */
function openStructures(
  batcher: TransportView,
  keyPrefix: string,
  hooks: CacheHooks,
): { codec: ValueCodec<unknown>; loaded: Promise<void> } {
  const registryKey = structuresKeyOf(keyPrefix)
  const registry = new StructureRegistry(new StructureKeys(batcher, registryKey), {
    now: clock.now,
    report(error) {
      if (hooks.closed()) return
      hooks.report(
        error instanceof FlipCacheError
          ? error
          : new DecodeError(registryKey, 'the shared-structure registry', { cause: error }),
        { operation: 'structures' },
      )
    },
  })
  const loaded = registry.reload().catch((error: unknown) => {
    if (error instanceof FlipCacheError && !hooks.closed()) hooks.report(error, { operation: 'structures' })
  })
  return { codec: sharedStructuresCodec(registry), loaded }
}

/** What the first calls wait for: the sync subscription and the server's answer on field TTLs, where there are such. */
function startingWaits(
  listening: Promise<void> | undefined,
  fieldsAsked: Promise<void> | undefined,
  client: RedisClient,
  timeoutMs: number,
): Promise<void> | undefined {
  if (listening === undefined && fieldsAsked === undefined) return undefined
  return untilListening(Promise.all([listening, fieldsAsked]), client, timeoutMs)
}
