import type { EventEmitter } from 'node:events'
import type { CacheState, KeySelection } from '../core/cache-state.js'
import { emitApart } from '../error-reporter.js'
import type { RedisClient } from '../redis/connection.js'
import { isCluster } from '../redis/slot-router.js'
import type { TransportView } from '../redis/transport-view.js'
import type { KeyCodec } from '../types/key-type.js'
import { subscriberHub } from './subscriber-hub.js'
import { type InvalidationOrigin, SyncBus, type SyncMode } from './sync-bus.js'
import { TrackingRefusedError, trackingHub } from './tracking-hub.js'

export interface CoherenceConfig<K, V> {
  name: string
  /** What the cache's Redis keys start with: the prefix Redis tracks. */
  keyPrefix: string
  sync: SyncMode
  /** Also speak redis_pubsub_dict's `<name>/update` and `<name>/delete` channels. */
  pubsubDict: boolean
  client: RedisClient
  batcher: TransportView
  timeoutMs: number
  /** This instance's id, carried by its sync messages. */
  origin: string
  /** The cache's state, which drops copies and marks reads and writes in flight. */
  state: CacheState<V>
  keys: KeyCodec<K>
  /** What a Redis key holds: an entry, or a bucket of them (for tracking, whose invalidations name Redis keys). */
  holds: (suffix: string) => string | { bucket: string } | undefined
  /** The cache, which emits 'invalidate'. */
  emitter: EventEmitter
  closed: () => boolean
}

/**
 * Keeps one cache's L1 coherent with the other instances and with Redis: its writes go out on the
 * sync bus, what others say (or Redis's tracking, or a lost connection) drops L1 copies and keeps
 * reads in flight from filling them, and each drop is an 'invalidate' event.
 */
export class Coherence<K, V> {
  readonly bus: SyncBus
  /** Resolves once the cache listens (its subscription, and tracking, are in place). */
  readonly ready: Promise<void>
  readonly #config: CoherenceConfig<K, V>
  #stopTracking: (() => Promise<void>) | undefined

  constructor(config: CoherenceConfig<K, V>) {
    this.#config = config
    this.bus = new SyncBus({
      name: config.name,
      origin: config.origin,
      batcher: config.batcher,
      hub: subscriberHub(config.client),
      timeoutMs: config.timeoutMs,
      invalidate: config.sync !== 'none',
      publishWrites: config.sync === 'pubsub',
      pubsubDict: config.pubsubDict,
      sharded: isCluster(config.client),
      onInvalidate: (keys, origin) => this.#invalidate(keys, origin),
    })
    if (config.sync !== 'none') config.state.pauseFills(true)
    this.ready = config.sync === 'none' ? Promise.resolve() : this.#listen()
  }

  /** This instance is writing or deleting `keys`: the other instances hear of it in the same round trip. */
  written(keys: string[], deleted = false): void {
    this.bus.written(keys, deleted)
    this.#announce(keys, 'local')
  }

  /** This instance emptied the namespace: one message tells the others; resolves once Redis has it. */
  cleared(): Promise<void> {
    this.#announce('all', 'local')
    return this.bus.cleared()
  }

  async close(): Promise<void> {
    await Promise.all([this.#stopTracking?.(), this.bus.close()])
  }

  /**
   * Subscribes to the sync channel (and, with `sync: 'tracking'`, arms Redis's client tracking for
   * this namespace), retrying every `timeout` (at most 1 s) until it holds or the cache closes. Until
   * then L1 keeps no copies, since a write meanwhile could go unheard.
   */
  async #listen(): Promise<void> {
    const { closed, sync, timeoutMs, state } = this.#config
    const retry = (): Promise<unknown> =>
      new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 1000)).unref())
    while (!closed() && !(await this.bus.start())) await retry()
    while (!closed() && sync === 'tracking' && !(await this.#track())) await retry()
    state.pauseFills(false)
  }

  /** Arms client tracking; false to try again later. A server that refuses it leaves pubsub alone. */
  async #track(): Promise<boolean> {
    const { client, name, keyPrefix, timeoutMs, closed } = this.#config
    try {
      this.#stopTracking = await trackingHub(client).register(
        keyPrefix,
        {
          invalidated: (redisKeys) => this.#invalidate(this.#selectionOf(redisKeys), 'tracking'),
          reconnected: () => this.#invalidate('all', 'reconnect'),
        },
        timeoutMs,
      )
      if (closed()) await this.#stopTracking()
      return true
    } catch (error) {
      if (!(error instanceof TrackingRefusedError)) return false
      this.bus.publishWrites()
      process.emitWarning(`${error.message}; FlipCache \`${name}\` falls back to sync 'pubsub'`, {
        type: 'FlipCacheWarning',
        code: 'E_TRACKING_REFUSED',
        detail: 'Writes through flipcache still reach every instance; writes by other clients do not.',
      })
      return true
    }
  }

  /**
   * The encoded keys that the named Redis keys hold: a string holds its entry; a hash bucket holds
   * every key that the layout places in it, held in L1 or not (a read of one may be on its way).
   */
  #selectionOf(redisKeys: string[] | 'all'): KeySelection {
    if (redisKeys === 'all') return 'all'
    const keys: string[] = []
    const buckets: string[] = []
    for (const redisKey of redisKeys) {
      const holding = this.#config.holds(redisKey)
      if (typeof holding === 'string') keys.push(holding)
      else if (holding !== undefined) buckets.push(holding.bucket)
    }
    return buckets.length === 0 ? keys : { keys, buckets }
  }

  /** Another instance (or Redis, or a lost connection) says these keys changed: L1 lets them go. */
  #invalidate(selection: KeySelection, origin: InvalidationOrigin): void {
    this.#announce(this.#config.state.invalidate(selection), origin)
  }

  /** Emits 'invalidate' (only when someone listens: decoding keys costs). */
  #announce(keys: readonly string[] | 'all', origin: InvalidationOrigin): void {
    const { emitter, keys: codec } = this.#config
    if (emitter.listenerCount('invalidate') === 0) return
    const decoded: K[] = []
    if (keys !== 'all') {
      for (const key of keys) {
        try {
          decoded.push(codec.decode(key))
        } catch {
          // A key another program named outside this keyType: nothing of it can be in L1.
        }
      }
    }
    emitApart(emitter, 'invalidate', { keys: keys === 'all' ? 'all' : decoded, origin })
  }
}
