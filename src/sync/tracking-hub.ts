import { randomUUID } from 'node:crypto'
import * as clock from '../clock.js'
import type { RedisClient } from '../redis/connection.js'
import {
  catchResubscriptions,
  duplicateOf,
  perClient,
  watchClient,
  watchReconnections,
} from '../redis/per-client.js'
import { isCluster } from '../redis/slot-router.js'
import { transportOf } from '../redis/transport.js'
import { within } from '../within.js'
import { type Confirmation, Heartbeat } from './heartbeat.js'
import {
  clientTracking,
  coverOf,
  retrack,
  TrackingRefusedError,
  trackingInfoOf,
  trackingOn,
} from './tracking-commands.js'

import type { TrackingListener } from './tracking-listener.js'

export { TrackingRefusedError } from './tracking-commands.js'
export type { TrackingListener } from './tracking-listener.js'

/** The first retry of a failed re-arm, doubled after each failure up to the last. */
const rearmRetryMs = { first: 250, last: 8000 }

const invalidationChannel = '__redis__:invalidate'

/**
 * Server-assisted invalidation for every cache of one client: a RESP2 subscriber to
 * `__redis__:invalidate` that flipcache owns (RESP2, because a RESP3 connection gets these as push
 * frames that ioredis drops), and on the client's own connection, the one the caches write through,
 * `CLIENT TRACKING ON REDIRECT <subscriber id> BCAST PREFIX <name>: ... NOLOOP`. Writes by any other
 * client (redis-cli, another service, another instance), expiries and evictions of those keys reach
 * L1; the client's own writes do not come back (NOLOOP), so a cache keeps the copy it just wrote.
 * Other caches of the same prefix on the same client, which NOLOOP silences too, hear of a cache's
 * writes from `written`, once Redis has them. While a cache with hash buckets listens, the
 * connection tracks without NOLOOP (see `#noLoopWanted`), and its own writes come back again.
 *
 * Redis tracks the fewest prefixes that cover the caches open now (caches of one name share theirs).
 * It can add a prefix to a tracking connection but not remove one: to drop a prefix nobody needs
 * (or to track one that covers another), a bridge connection first tracks the prefixes needed, then
 * the client's connection turns tracking off and on again with them (one MULTI), then the bridge
 * closes: some connection tracks every prefix needed at every moment, so no invalidation is lost,
 * and L1 keeps its copies. (Keeping every prefix ever tracked instead would grow without bound as
 * caches come and go, and Redis checks every key written on the server against every tracked
 * prefix; turning tracking off and on without a bridge would lose what was written in between, and
 * every cache on the client would have to empty its L1 each time one closed.)
 */
export class TrackingHub {
  readonly #client: RedisClient
  readonly #listeners = new Map<string, Set<TrackingListener>>()
  /** Prefixes the client's connection tracks now (none covers another). */
  #tracked: string[] = []
  /** Whether it tracks them with NOLOOP. */
  #noLoop = true
  #subscriber: RedisClient | undefined
  #subscriberId: string | undefined
  #subscriberName = ''
  /** Stops watching the client's own connection for reconnections (set while tracking is on). */
  #unwatchClient: (() => void) | undefined
  #arming: Promise<void> = Promise.resolve()
  /** A release of prefixes waiting its turn: caches that close meanwhile share it. */
  #releasing: Promise<void> | undefined
  /** How long a change of tracking may take (the latest cache's `timeout`). */
  #timeoutMs = 1000

  /** Proves that the subscriber still hears Redis (see heartbeat.ts): a channel of its own on it. */
  readonly #heartbeat: Heartbeat

  constructor(client: RedisClient) {
    this.#client = client
    const beatChannel = `__flipcache:heartbeat:${randomUUID()}:tracking`
    this.#heartbeat = new Heartbeat({
      subscribe: (channel) =>
        this.#subscriber === undefined
          ? Promise.reject(new Error('The tracking subscriber is not open'))
          : this.#subscriber.subscribe(channel),
      publish: (channel, timeoutMs) => transportOf(client).command(timeoutMs, 'PUBLISH', [channel, '1']),
      beatChannelOf: () => beatChannel,
      now: clock.now,
    })
  }

  /**
   * Tells `confirmation` when the tracking subscriber stops hearing Redis (its heartbeat does not
   * come back within the bound), and when it hears again. Returns the function that stops it.
   */
  confirm(confirmation: Confirmation): () => void {
    return this.#heartbeat.watch('tracking', confirmation)
  }

  /** The prefixes Redis tracks for this client's caches now (for diagnostics and tests). */
  get prefixes(): readonly string[] {
    return this.#tracked
  }

  /** How many caches listen now (for diagnostics and tests). */
  get listeners(): number {
    let count = 0
    for (const listeners of this.#listeners.values()) count += listeners.size
    return count
  }

  /**
   * Starts tracking `prefix` for `listener`; rejects with TrackingRefusedError if Redis will not.
   * Resolves to the function that stops it, whose promise resolves once Redis no longer tracks a
   * prefix nobody needs (never rejects).
   */
  async register(
    prefix: string,
    listener: TrackingListener,
    timeoutMs: number,
  ): Promise<() => Promise<void>> {
    let listeners = this.#listeners.get(prefix)
    if (listeners === undefined) {
      listeners = new Set()
      this.#listeners.set(prefix, listeners)
    }
    listeners.add(listener)
    this.#timeoutMs = timeoutMs
    const stop = (): Promise<void> => this.#leave(prefix, listener)
    try {
      await this.#bounded(
        this.#serialize(() => this.#track()),
        timeoutMs,
      )
    } catch (error) {
      stop().catch(() => {})
      throw error
    }
    return stop
  }

  /** Whether a cache other than `writer` listens to `prefix`: only then does a write of `writer`'s concern anyone here. */
  hasSiblings(prefix: string, writer: TrackingListener): boolean {
    const listeners = this.#listeners.get(prefix)
    return listeners !== undefined && (listeners.size > 1 || (listeners.size === 1 && !listeners.has(writer)))
  }

  /**
   * `writer` is writing (or deleting) the encoded `keys` of `prefix` through the client, and
   * `landed` settles once Redis has answered for them (or they failed, and will never land): then,
   * and not before (a copy dropped earlier could be refilled with the old value), the other caches
   * of `prefix` on this client drop theirs, as a remote write's invalidation would have them do.
   * `writer` is not told (it keeps what it wrote).
   */
  written(prefix: string, writer: TrackingListener, keys: string[], landed: Promise<unknown>): void {
    const tell = (): void => {
      for (const listener of this.#listeners.get(prefix) ?? []) {
        if (listener !== writer) listener.siblingWrote(keys)
      }
    }
    landed.then(tell, tell)
  }

  /** What Redis says it tracks on the client's connection (`CLIENT TRACKINGINFO`), for diagnostics and tests. */
  async trackingInfo(): Promise<{ flags: string[]; prefixes: string[] } | undefined> {
    if (this.#subscriber === undefined) return undefined
    return trackingInfoOf(this.#client)
  }

  /** `work`, or a timeout error after `timeoutMs`. */
  #bounded(work: Promise<void>, timeoutMs: number): Promise<void> {
    return within(work, timeoutMs, () => {
      throw new Error(`CLIENT TRACKING did not complete within ${timeoutMs} ms`)
    })
  }

  /** One change to the tracking state at a time. */
  #serialize(change: () => Promise<void>): Promise<void> {
    const next = this.#arming.then(change, change)
    this.#arming = next.catch(() => {})
    return next
  }

  async #track(): Promise<void> {
    if (isCluster(this.#client)) {
      throw new TrackingRefusedError(
        'Client tracking is not used on a Redis Cluster (each master would need tracking connections of its own)',
      )
    }
    // Every cache left while this change waited its turn (the last one turned tracking off).
    if (this.#listeners.size === 0) return
    const subscriberId = await this.#open().catch((error: unknown) => {
      // Redis answered, with an error (no permission for CLIENT, say): it will not track for us.
      if (error instanceof Error && error.name === 'ReplyError') {
        throw new TrackingRefusedError(`Redis refused client tracking: ${error.message}`, { cause: error })
      }
      throw error
    })
    await this.#apply(subscriberId)
  }

  /**
   * Makes Redis track the prefixes the caches need: new ones are added to the client's connection;
   * when one is no longer needed (or a new one covers it, or NOLOOP must go on or off), tracking
   * switches over a bridge.
   */
  async #apply(subscriberId: string): Promise<void> {
    const wanted = coverOf(this.#listeners.keys())
    const noLoop = this.#noLoopWanted()
    const added = wanted.filter((prefix) => !this.#tracked.includes(prefix))
    if (this.#tracked.length === 0) {
      // The first arming: whatever the connection tracked before (a turn-off that failed) goes.
      if (wanted.length === 0) return
      await retrack(this.#client, trackingOn(subscriberId, wanted, noLoop))
      this.#tracked = wanted
      this.#noLoop = noLoop
      return
    }
    if (noLoop === this.#noLoop && this.#tracked.every((prefix) => wanted.includes(prefix))) {
      if (added.length === 0) return
      await clientTracking(this.#client, trackingOn(subscriberId, added, noLoop))
      this.#tracked = [...this.#tracked, ...added]
      return
    }
    await this.#switchTo(wanted, noLoop, subscriberId)
  }

  /**
   * The client's connection tracks exactly `prefixes` from now on. A bridge connection tracks them
   * first (without NOLOOP), until the client's connection has turned tracking off and on again: an
   * invalidation may come twice meanwhile (the client's own writes too, once), never not at all. If
   * the bridge fails, the client's connection still tracks every prefix needed, and more; if the
   * switch itself fails, tracking is armed anew (L1 emptied, as after a reconnection).
   */
  async #switchTo(prefixes: string[], noLoop: boolean, subscriberId: string): Promise<void> {
    const bridge = duplicateOf(this.#client, { enableOfflineQueue: true })
    bridge.on('error', () => {})
    try {
      await this.#bounded(clientTracking(bridge, trackingOn(subscriberId, prefixes, false)), this.#timeoutMs)
      // The last cache left meanwhile, and turned tracking off: nothing is needed any more.
      if (this.#subscriber === undefined) return
      try {
        await this.#bounded(
          retrack(this.#client, trackingOn(subscriberId, prefixes, noLoop)),
          this.#timeoutMs,
        )
        this.#tracked = prefixes
        this.#noLoop = noLoop
      } catch (error) {
        // Whether the client's connection still tracks anything is unknown: armed from scratch.
        this.#tracked = []
        this.#rearmUntilArmed(rearmRetryMs.first)
        throw error
      }
    } finally {
      bridge.disconnect()
    }
  }

  /** The subscriber, opened on first use, and its id; after it or the client's connection reconnects, tracking is armed anew. */
  async #open(): Promise<string> {
    if (this.#subscriber === undefined) {
      // A name to find the subscriber by in CLIENT LIST: in subscriber mode it cannot run CLIENT ID,
      // and ioredis gives it the name again (and a new id) whenever it reconnects. It keeps an
      // offline queue whatever the client's setting: commands sent while it connects must wait.
      const name = `flipcache-tracking-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
      const subscriber = duplicateOf(this.#client, {
        protocol: 2,
        connectionName: name,
        enableOfflineQueue: true,
      })
      // Closed while it reconnects, the subscriber's own resubscription must not become an unhandled rejection.
      catchResubscriptions(subscriber)
      subscriber.on('error', () => {})
      subscriber.on('messageBuffer', (channel: Buffer, keys: unknown) => {
        const name = channel.toString()
        if (name === invalidationChannel) this.#dispatch(keys)
        else this.#heartbeat.received(name)
      })
      // A dropped subscriber is resubscribed by ioredis; a heartbeat subscription on its way is asked again.
      subscriber.on('close', () => this.#heartbeat.dropped())
      try {
        await subscriber.subscribe(invalidationChannel)
        if (this.#listeners.size === 0) throw new Error('Every cache left while tracking was armed')
      } catch (error) {
        subscriber.disconnect()
        throw error
      }
      watchReconnections(subscriber, () => this.#rearmAfter(subscriber))
      this.#unwatchClient = watchClient(this.#client, () => this.#rearmAfter(this.#client))
      this.#subscriberName = name
      this.#subscriber = subscriber
      // The heartbeat's subscription was on a connection that is gone (if any).
      this.#heartbeat.dropped()
      this.#tracked = []
    }
    this.#subscriberId ??= await this.#idOfSubscriber()
    return this.#subscriberId
  }

  /** `connection` (the subscriber, or the client's own) reconnected: tracking is armed anew, if still needed. */
  #rearmAfter(connection: RedisClient): void {
    if (connection !== this.#client && connection !== this.#subscriber) return
    this.#rearmUntilArmed(rearmRetryMs.first)
  }

  /**
   * Arms tracking again (after a reconnection, or a switch that failed); a failure (Redis answered
   * with an error, or not at all) tells every cache (L1 then goes off) and is retried with back-off,
   * for as long as caches listen.
   */
  #rearmUntilArmed(retryMs: number): void {
    const subscriber = this.#subscriber
    const current = (): boolean => this.#listeners.size > 0 && this.#subscriber === subscriber
    if (!current()) return
    this.#serialize(() => this.#rearm()).catch((error: unknown) => {
      if (!current()) return
      const reason = error instanceof Error ? error : new Error(String(error))
      this.#everyListener((listener) => listener.unarmed(reason))
      const next = Math.min(retryMs * 2, rearmRetryMs.last)
      setTimeout(() => this.#rearmUntilArmed(next), retryMs).unref()
    })
  }

  /** The subscriber's current client id, found by its name. */
  async #idOfSubscriber(): Promise<string> {
    const list = String(await this.#client.call('CLIENT', 'LIST'))
    const line = list.split('\n').find((entry) => entry.includes(` name=${this.#subscriberName} `))
    const id = line === undefined ? undefined : /\bid=(\d+)/.exec(line)?.[1]
    if (id === undefined) throw new Error('Could not find the tracking subscriber connection in CLIENT LIST')
    return id
  }

  async #rearm(): Promise<void> {
    if (this.#listeners.size === 0) return
    this.#subscriberId = undefined
    const subscriberId = await this.#open()
    const wanted = coverOf(this.#listeners.keys())
    const noLoop = this.#noLoopWanted()
    this.#tracked = []
    await this.#bounded(retrack(this.#client, trackingOn(subscriberId, wanted, noLoop)), this.#timeoutMs)
    this.#tracked = wanted
    this.#noLoop = noLoop
    this.#everyListener((listener) => listener.reconnected())
  }

  #dispatch(keys: unknown): void {
    if (keys === null) {
      this.#everyListener((listener) => listener.invalidated('all'))
      return
    }
    if (!Array.isArray(keys)) return
    const names = keys.map((key) => String(key))
    for (const [prefix, listeners] of this.#listeners) {
      const mine = names.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length))
      if (mine.length === 0) continue
      for (const listener of listeners) listener.invalidated(mine)
    }
  }

  /**
   * NOLOOP, unless a cache changes keys in part. Redis leaves out of a NOLOOP connection's
   * invalidations the keys it was the last to change in an event loop turn: harmless when each
   * write replaces a key whole (what this connection wrote is what the key holds), but a bucket
   * changed by another client and then, in the same turn, by this one would keep another field's
   * old copy in L1.
   */
  #noLoopWanted(): boolean {
    for (const listeners of this.#listeners.values())
      for (const listener of listeners) if (listener.writesInPart) return false
    return true
  }

  #everyListener(visit: (listener: TrackingListener) => void): void {
    for (const listeners of this.#listeners.values()) for (const listener of listeners) visit(listener)
  }

  #leave(prefix: string, listener: TrackingListener): Promise<void> {
    const listeners = this.#listeners.get(prefix)
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return Promise.resolve()
    this.#listeners.delete(prefix)
    if (this.#listeners.size > 0) return this.#release()
    // The last cache left: the subscriber closes, and the client's connection stops tracking.
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
    this.#subscriberId = undefined
    this.#unwatchClient?.()
    this.#unwatchClient = undefined
    const wasTracked = this.#tracked.length > 0
    this.#tracked = []
    if (!wasTracked) return Promise.resolve()
    const timeoutMs = this.#timeoutMs
    return this.#serialize(async () => {
      // A cache that came meanwhile arms tracking anew after this (its change is queued behind).
      if (this.#listeners.size > 0) return
      await this.#bounded(clientTracking(this.#client, ['TRACKING', 'OFF']), timeoutMs)
    }).catch(() => {})
  }

  /**
   * A prefix lost its last cache: Redis stops tracking it, once the changes queued before are done.
   * Resolves when it is done (never rejects): a failure leaves Redis tracking more than needed, and
   * the next change tries again.
   */
  #release(): Promise<void> {
    if (this.#releasing !== undefined) return this.#releasing
    const releasing = this.#serialize(async () => {
      this.#releasing = undefined
      const subscriberId = this.#subscriberId
      if (subscriberId === undefined || this.#listeners.size === 0) return
      await this.#apply(subscriberId)
    }).catch(() => {})
    this.#releasing = releasing
    return releasing
  }
}

/** The tracking hub of `client`, shared by every cache that uses the client. */
export const trackingHub = perClient((client) => new TrackingHub(client))
