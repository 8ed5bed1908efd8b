import type { EventEmitter } from 'node:events'
import * as clock from '../clock.js'
import type { CacheState, KeySelection } from '../core/cache-state.js'
import type { ReportContext } from '../error-reporter.js'
import { emitApart } from '../error-reporter.js'
import { ErrorCode, type FlipCacheError, SyncError } from '../errors.js'
import { tellReceived } from '../observe/events.js'
import { type RedisClient, whenReady } from '../redis/connection.js'
import { isCluster } from '../redis/slot-router.js'
import { isReplyError } from '../redis/steps.js'
import type { TransportView } from '../redis/transport-view.js'
import type { TagNotice } from '../store/tag-keys.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import type { KeyCodec } from '../types/key-type.js'
import { subscriberHub } from './subscriber-hub.js'
import { type InvalidationOrigin, SyncBus, type SyncMode } from './sync-bus.js'
import { type TrackingListener, TrackingRefusedError, trackingHub } from './tracking-hub.js'

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
  /** The bound on staleness (see the `maxStaleness` option), or `null` without the heartbeat. */
  maxStalenessMs: number | null
  /** Where failures nobody awaits go ('error', counted). */
  report: (error: FlipCacheError, context?: ReportContext) => void
  /** This instance's id, carried by its sync messages. */
  origin: string
  /** The cache's state, which drops copies and marks reads and writes in flight. */
  state: CacheState<V>
  keys: KeyCodec<K>
  /**
   * Whether a write changes a Redis key in part (a field of a hash bucket), not whole: tracking then
   * cannot use NOLOOP (see TrackingHub).
   */
  writesInPart: boolean
  /** What a Redis key holds: an entry, or a bucket of them (for tracking, whose invalidations name Redis keys). */
  holds: (suffix: string) => string | { bucket: string } | undefined
  /** The cache, which emits 'invalidate'. */
  emitter: EventEmitter
  closed: () => boolean
}

/** What a cache listens to: its sync channel, and with `sync: 'tracking'` Redis's invalidations. */
type HearingSource = 'sync' | 'tracking' | 'tracking-armed'

/** The coalescing key of the PING that tells when a tick's writes have landed (see `#tellSiblings`). */
const landedMarker = '__flipcache:tracking-landed'

/** How often a refused subscription is asked again. */
const refusedRetryMs = 10_000

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
  /** What this cache registered with the tracking hub (from the start of arming until close): the others hear of its writes as from it. */
  #trackingListener: TrackingListener | undefined
  /** Whether the subscription (and tracking) is in place. */
  #listening = false
  /**
   * What this instance cannot tell it still hears (see the heartbeat): its sync channel, or Redis's
   * tracking invalidations; L1 is off while either is in doubt.
   */
  readonly #deaf = new Set<HearingSource>()
  #stopTrackingBeat: (() => void) | undefined
  /** Whether the subscriber connection is down (dropped, not back yet). */
  #dropped = false

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
      maxStalenessMs: config.maxStalenessMs,
      onInvalidate: (keys, origin) => this.#invalidate(keys, origin),
      onTags: (stamps) => this.#tagsHeard(stamps),
      onUnheard: (reason) => (reason === 'dropped' ? this.#subscriberDropped() : this.#unheard(reason)),
      onHeard: () => this.#heard(),
      onReconnected: () => this.#reconnected(),
      report: config.report,
    })
    if (config.sync === 'none') this.ready = Promise.resolve()
    else {
      config.state.trust(false)
      this.ready = new Promise((resolve) => {
        this.#listen(resolve).catch(() => resolve())
      })
    }
  }

  /** This instance is writing or deleting `keys`: the other instances hear of it in the same round trip. */
  written(keys: string[], deleted = false): void {
    this.bus.written(keys, deleted)
    this.#tellSiblings(keys)
    this.#announce(keys, 'local')
  }

  /**
   * With tracking, the client's connection does not hear its own writes (NOLOOP), nor do the other
   * caches of this namespace on the same client: they hear of these from here, once Redis has
   * answered for them. A PING rides last in the writes' pipeline, on the same connection, so its
   * answer comes after theirs (one per tick, whatever the caches; none without such a cache).
   */
  #tellSiblings(keys: string[]): void {
    const listener = this.#trackingListener
    if (listener === undefined) return
    const { client, batcher, keyPrefix } = this.#config
    const hub = trackingHub(client)
    if (!hub.hasSiblings(keyPrefix, listener)) return
    const landed = batcher.coalesce(landedMarker, 'PING', () => [], [])
    hub.written(keyPrefix, listener, keys, landed)
  }

  /**
   * clear() (or clearVersions(), for `namespace`, an old version's) is removing `keys`, their UNLINK
   * queued in this tick: redis_pubsub_dict's peers hear of each.
   */
  removed(keys: string[], namespace?: string): void {
    this.bus.removed(keys, namespace)
  }

  /**
   * This instance invalidated tags (raised to `stamps` in Redis): the others hear of it (`published`:
   * the raising script sent the message already); never rejects.
   */
  tagsInvalidated(stamps: TagStamp[], published = false): Promise<void> {
    return this.bus.tagsInvalidated(stamps, published)
  }

  /** The message a script raising tag counts may publish itself, if any (see SyncBus.tagNotice). */
  tagNotice(): TagNotice | undefined {
    return this.bus.tagNotice()
  }

  /** This instance emptied the namespace: one message tells the others; resolves once Redis has it. */
  cleared(): Promise<void> {
    this.#announce('all', 'local')
    return this.bus.cleared()
  }

  async close(): Promise<void> {
    this.#trackingListener = undefined
    this.#stopTrackingBeat?.()
    await Promise.all([this.#stopTracking?.(), this.bus.close()])
  }

  /**
   * Subscribes to the sync channel (and, with `sync: 'tracking'`, arms Redis's client tracking for
   * this namespace), retrying every `timeout` (at most 1 s) until it holds or the cache closes. Until
   * then L1 is off, since a write meanwhile could go unheard. A subscription Redis refuses (an ACL
   * without the channel, a server without SSUBSCRIBE) is reported once and tried again every
   * 10 s; `ready` then resolves, with L1 off.
   */
  async #listen(ready: () => void): Promise<void> {
    const { closed, sync, timeoutMs } = this.#config
    const wait = (ms: number): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, ms).unref())
    let refused = false
    while (!closed() && !(await this.bus.start())) {
      const error = this.bus.subscribeError
      if (isReplyError(error) && !refused) {
        refused = true
        this.#refused(error)
        ready()
      }
      await wait(refused ? refusedRetryMs : Math.min(timeoutMs, 1000))
    }
    while (!closed() && sync === 'tracking' && !(await this.#track())) await wait(Math.min(timeoutMs, 1000))
    this.#listening = true
    // Whatever was written while it was not listening may be in a stale copy: it starts over.
    if (refused) this.#invalidate('all', 'reconnect')
    this.#updateTrust()
    ready()
  }

  /** Redis refused the sync subscription: reported on 'error' and as a process warning; L1 stays off. */
  #refused(error: Error): void {
    const { name, report } = this.#config
    const refusal = new SyncError(
      ErrorCode.syncRefused,
      this.bus.channel,
      `Redis refused FlipCache \`${name}\` the subscription to \`${this.bus.channel}\` (${error.message}): L1 stays off, every read goes to Redis, until it is allowed`,
      { cause: error },
    )
    report(refusal, { operation: 'sync' })
    process.emitWarning(refusal.message, {
      type: 'FlipCacheWarning',
      code: ErrorCode.syncRefused,
      detail: 'Allow the channel (ACL: &<name>:__sync), use sync: "none" with L1 off, or accept L1 off.',
    })
  }

  /**
   * The subscriber connection dropped. While this client cannot reach Redis either (Redis down, or
   * restarting), nobody's write can reach this instance's reads, and L1 keeps answering, for at most
   * `maxStaleness` (the heartbeat's bound); as soon as Redis answers this client while the
   * subscriber is still down, L1 goes off: other instances may be writing already (after a Redis
   * restart, say), unheard. A PING tells which (the client's own 'close' may not have come yet).
   */
  #subscriberDropped(): void {
    this.#dropped = true
    const { client, closed, batcher } = this.#config
    const answered = (): void => {
      if (this.#dropped && !closed()) this.#unheard('dropped')
    }
    batcher.command('PING', []).then(answered, () => {
      if (this.#dropped && !closed()) whenReady(client).then(answered)
    })
  }

  /** The subscriber dropped, or a heartbeat did not come back within the bound: L1 goes off. */
  #unheard(reason: 'dropped' | 'silent' | 'unarmed', source: HearingSource = 'sync', cause?: Error): void {
    const hearing = this.#deaf.size === 0
    if (this.#deaf.has(source)) return
    this.#deaf.add(source)
    if (hearing) this.#updateTrust()
    // Told once per spell of deafness; but tracking that could not be armed again is told even when
    // the cache is deaf already (its subscriber dropped with it): it outlasts the reconnection.
    if (!hearing && reason !== 'unarmed') return
    const { name, maxStalenessMs, report } = this.#config
    const channel = this.bus.channel
    const why =
      reason === 'dropped'
        ? 'its subscriber connection dropped'
        : reason === 'unarmed'
          ? `client tracking could not be armed again after a reconnection (${cause?.message}; retrying)`
          : source === 'tracking'
            ? `it has not heard its tracking connection for ${maxStalenessMs} ms`
            : `it has not heard its sync channel for ${maxStalenessMs} ms`
    const until = reason === 'unarmed' ? 'tracking is armed' : `it hears \`${channel}\``
    report(
      new SyncError(
        ErrorCode.syncUnheard,
        channel,
        `FlipCache \`${name}\`: ${why}; L1 is off (reads go to Redis) until ${until} again`,
        cause === undefined ? undefined : { cause },
      ),
      { operation: 'sync' },
    )
  }

  /**
   * The subscriber connection is back: messages sent meanwhile were lost, so L1 starts over. Without
   * a heartbeat that is the proof that it hears again; with one, L1 is trusted again once it comes back.
   */
  #reconnected(): void {
    this.#dropped = false
    if (this.#config.maxStalenessMs === null && this.#deaf.has('sync')) this.#heard()
    else this.#invalidate('all', 'reconnect')
  }

  /** It hears the others again: what it held may have missed news meanwhile, so L1 starts over. */
  #heard(source: HearingSource = 'sync'): void {
    if (source === 'sync') this.#dropped = false
    if (!this.#deaf.delete(source) || this.#deaf.size > 0) return
    this.#invalidate('all', 'reconnect')
    this.#updateTrust()
  }

  #updateTrust(): void {
    this.#config.state.trust(this.#listening && this.#deaf.size === 0)
  }

  /** Arms client tracking; false to try again later. A server that refuses it leaves pubsub alone. */
  async #track(): Promise<boolean> {
    const { client, name, keyPrefix, timeoutMs, closed } = this.#config
    const listener: TrackingListener = {
      invalidated: (redisKeys) => {
        tellReceived(name, 'tracking', redisKeys === 'all' ? 0 : redisKeys.length, undefined)
        this.#invalidate(this.#selectionOf(redisKeys), 'tracking')
      },
      siblingWrote: (keys) => {
        tellReceived(name, 'tracking', keys.length, undefined)
        this.#invalidate(keys, 'tracking')
      },
      reconnected: () => {
        this.#invalidate('all', 'reconnect')
        this.#heard('tracking-armed')
      },
      unarmed: (error) => this.#unheard('unarmed', 'tracking-armed', error),
      writesInPart: this.#config.writesInPart,
    }
    // Known before Redis confirms: the other caches of the namespace hear of its writes from the start.
    this.#trackingListener = listener
    try {
      this.#stopTracking = await trackingHub(client).register(keyPrefix, listener, timeoutMs)
      if (closed()) await this.#stopTracking()
      else if (this.#config.maxStalenessMs !== null) {
        // Tracking's invalidations come on a connection of their own, proven by a heartbeat of its own.
        this.#stopTrackingBeat = trackingHub(client).confirm({
          boundMs: this.#config.maxStalenessMs,
          unheard: () => this.#unheard('silent', 'tracking'),
          heard: () => this.#heard('tracking'),
        })
      }
      return true
    } catch (error) {
      this.#trackingListener = undefined
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

  /** Another instance invalidated tags: the copies carrying them stop being hits (checked on every hit). */
  #tagsHeard(stamps: TagStamp[]): void {
    const now = clock.now()
    for (const { tag, hard, soft } of stamps) this.#config.state.tags.learn(tag, { hard, soft }, now)
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
