import { randomUUID } from 'node:crypto'
import * as clock from '../clock.js'
import type { RedisClient } from '../redis/connection.js'
import { catchResubscriptions, duplicateOf, perClient, watchReconnections } from '../redis/per-client.js'
import { isCluster } from '../redis/slot-router.js'
import { transportOf } from '../redis/transport.js'
import { within } from '../within.js'
import { type Confirmation, Heartbeat } from './heartbeat.js'

/** What a cache hears from Redis's own invalidations. */
export interface TrackingListener {
  /** Keys of this prefix (prefix removed) changed, expired or were evicted; 'all' after a FLUSHALL. */
  invalidated: (keys: string[] | 'all') => void
  /** Invalidations may have been lost (a connection dropped, or tracking was re-armed). */
  reconnected: () => void
  /**
   * A connection came back but tracking could not be armed on it again (`error` says why):
   * invalidations are not heard until a retry succeeds, which then calls `reconnected`.
   */
  unarmed: (error: Error) => void
}

/** The first retry of a failed re-arm, doubled after each failure up to the last. */
const rearmRetryMs = { first: 250, last: 8000 }

/** Redis refused client tracking (a server before 6.0, or one that forbids it). */
export class TrackingRefusedError extends Error {}

const invalidationChannel = '__redis__:invalidate'

/**
 * Server-assisted invalidation for every cache of one client, on two connections flipcache owns:
 * a RESP2 subscriber to `__redis__:invalidate` (RESP2, because a RESP3 connection gets these as
 * push frames that ioredis drops), and a control connection that runs
 * `CLIENT TRACKING ON REDIRECT <subscriber id> BCAST PREFIX <name>:` for the caches' prefixes. Writes
 * by any client (redis-cli, another service), expiries and evictions of those keys then reach L1.
 *
 * Redis tracks the fewest prefixes that cover the caches open now (caches of one name share theirs).
 * It can add a prefix to a tracking connection but not remove one: when a cache's prefix is no longer
 * needed, a new control connection starts tracking the prefixes still needed, and only then is the
 * old one closed, so that no invalidation falls in between.
 */
export class TrackingHub {
  readonly #client: RedisClient
  readonly #listeners = new Map<string, Set<TrackingListener>>()
  /** Prefixes the control connection tracks now (none covers another). */
  #tracked: string[] = []
  #subscriber: RedisClient | undefined
  #control: RedisClient | undefined
  #subscriberId: string | undefined
  #subscriberName = ''
  #arming: Promise<void> = Promise.resolve()
  /** A release of prefixes waiting its turn: caches that close meanwhile share it. */
  #releasing: Promise<void> | undefined
  /** How long a move of tracking to a new control connection may take (the latest cache's `timeout`). */
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
      await within(
        this.#serialize(() => this.#track()),
        timeoutMs,
        () => {
          throw new Error(`CLIENT TRACKING did not complete within ${timeoutMs} ms`)
        },
      )
    } catch (error) {
      stop().catch(() => {})
      throw error
    }
    return stop
  }

  /** What Redis says it tracks on the control connection (`CLIENT TRACKINGINFO`), for diagnostics and tests. */
  async trackingInfo(): Promise<{ flags: string[]; prefixes: string[] } | undefined> {
    const control = this.#control
    if (control === undefined) return undefined
    const reply = (await control.call('CLIENT', 'TRACKINGINFO')) as unknown[]
    const fields = new Map<string, unknown>()
    for (let index = 0; index + 1 < reply.length; index += 2)
      fields.set(String(reply[index]), reply[index + 1])
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [])
    return { flags: strings(fields.get('flags')), prefixes: strings(fields.get('prefixes')) }
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
    // Every cache left while this change waited its turn (the last one closed the connections).
    if (this.#listeners.size === 0) return
    const { control, subscriberId } = await this.#open().catch((error: unknown) => {
      // Redis answered, with an error (no permission for CLIENT, say): it will not track for us.
      if (error instanceof Error && error.name === 'ReplyError') {
        throw new TrackingRefusedError(`Redis refused client tracking: ${error.message}`, { cause: error })
      }
      throw error
    })
    await this.#apply(control, subscriberId)
  }

  /**
   * Makes Redis track the prefixes the caches need: new ones are added to the control connection;
   * when one is no longer needed (or a new one covers it), tracking moves to a new connection.
   */
  async #apply(control: RedisClient, subscriberId: string): Promise<void> {
    const wanted = coverOf(this.#listeners.keys())
    const added = wanted.filter((prefix) => !this.#tracked.includes(prefix))
    if (this.#tracked.every((prefix) => wanted.includes(prefix))) {
      if (added.length === 0) return
      await this.#on(control, subscriberId, added)
      this.#tracked = [...this.#tracked, ...added]
      return
    }
    await this.#moveTo(wanted, subscriberId)
  }

  /**
   * A new control connection tracks `prefixes`; once Redis has confirmed it, the old one closes (and
   * Redis drops its tracking with it). Both track meanwhile: an invalidation may come twice, never
   * not at all. If the new one fails, the old one still tracks every prefix needed, and more.
   */
  async #moveTo(prefixes: string[], subscriberId: string): Promise<void> {
    const next = duplicateOf(this.#client, { enableOfflineQueue: true })
    next.on('error', () => {})
    const timeoutMs = this.#timeoutMs
    try {
      if (prefixes.length > 0) {
        await within(this.#on(next, subscriberId, prefixes), timeoutMs, () => {
          throw new Error(`CLIENT TRACKING did not complete within ${timeoutMs} ms`)
        })
      }
    } catch (error) {
      next.disconnect()
      throw error
    }
    // The last cache left meanwhile, and closed the connections: nothing is needed any more.
    if (this.#subscriber === undefined) {
      next.disconnect()
      return
    }
    const previous = this.#control
    this.#control = next
    this.#tracked = prefixes
    this.#watch(next)
    previous?.disconnect()
  }

  async #on(control: RedisClient, subscriberId: string, prefixes: string[]): Promise<void> {
    const args = [
      'TRACKING',
      'ON',
      'REDIRECT',
      subscriberId,
      'BCAST',
      ...prefixes.flatMap((p) => ['PREFIX', p]),
    ]
    try {
      await control.call('CLIENT', args)
    } catch (error) {
      throw new TrackingRefusedError(`Redis refused CLIENT TRACKING: ${(error as Error).message}`, {
        cause: error,
      })
    }
  }

  /** The two connections, opened on first use; after either reconnects, tracking is armed anew. */
  async #open(): Promise<{ control: RedisClient; subscriberId: string }> {
    if (this.#subscriber === undefined || this.#control === undefined) {
      // A name to find the subscriber by in CLIENT LIST: in subscriber mode it cannot run CLIENT ID,
      // and ioredis gives it the name again (and a new id) whenever it reconnects. Both keep an
      // offline queue whatever the client's setting: commands sent while they connect must wait.
      const name = `flipcache-tracking-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
      const subscriber = duplicateOf(this.#client, {
        protocol: 2,
        connectionName: name,
        enableOfflineQueue: true,
      })
      const control = duplicateOf(this.#client, { enableOfflineQueue: true })
      // Closed while it reconnects, the subscriber's own resubscription must not become an unhandled rejection.
      catchResubscriptions(subscriber)
      subscriber.on('error', () => {})
      control.on('error', () => {})
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
        control.disconnect()
        throw error
      }
      this.#watch(subscriber)
      this.#watch(control)
      this.#subscriberName = name
      this.#subscriber = subscriber
      // The heartbeat's subscription was on a connection that is gone (if any).
      this.#heartbeat.dropped()
      this.#control = control
      this.#tracked = []
    }
    this.#subscriberId ??= await this.#idOfSubscriber()
    return { control: this.#control, subscriberId: this.#subscriberId }
  }

  /** After `connection` reconnects, tracking is armed anew (unless it has been replaced or closed since). */
  #watch(connection: RedisClient): void {
    watchReconnections(connection, () => this.#rearmUntilArmed(connection, rearmRetryMs.first))
  }

  /**
   * Arms tracking again after `connection` reconnected; a failure (Redis answered with an error, or
   * not at all) tells every cache (L1 then goes off) and is retried with back-off, for as long as
   * caches listen and `connection` is still one of the two.
   */
  #rearmUntilArmed(connection: RedisClient, retryMs: number): void {
    const current = (): boolean =>
      this.#listeners.size > 0 && (connection === this.#subscriber || connection === this.#control)
    if (!current()) return
    this.#serialize(() => this.#rearm()).catch((error: unknown) => {
      if (!current()) return
      const reason = error instanceof Error ? error : new Error(String(error))
      this.#everyListener((listener) => listener.unarmed(reason))
      const next = Math.min(retryMs * 2, rearmRetryMs.last)
      setTimeout(() => this.#rearmUntilArmed(connection, next), retryMs).unref()
    })
  }

  /** The subscriber's current client id, found by its name. */
  async #idOfSubscriber(): Promise<string> {
    const list = String(await (this.#control as RedisClient).call('CLIENT', 'LIST'))
    const line = list.split('\n').find((entry) => entry.includes(` name=${this.#subscriberName} `))
    const id = line === undefined ? undefined : /\bid=(\d+)/.exec(line)?.[1]
    if (id === undefined) throw new Error('Could not find the tracking subscriber connection in CLIENT LIST')
    return id
  }

  async #rearm(): Promise<void> {
    if (this.#listeners.size === 0) return
    this.#subscriberId = undefined
    const { control, subscriberId } = await this.#open()
    await control.call('CLIENT', 'TRACKING', 'OFF').catch(() => {})
    const wanted = coverOf(this.#listeners.keys())
    this.#tracked = []
    if (wanted.length > 0) await this.#on(control, subscriberId, wanted)
    this.#tracked = wanted
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

  #everyListener(visit: (listener: TrackingListener) => void): void {
    for (const listeners of this.#listeners.values()) for (const listener of listeners) visit(listener)
  }

  #leave(prefix: string, listener: TrackingListener): Promise<void> {
    const listeners = this.#listeners.get(prefix)
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return Promise.resolve()
    this.#listeners.delete(prefix)
    if (this.#listeners.size > 0) return this.#release()
    // The last cache left: close both connections (Redis drops their tracking with them).
    this.#subscriber?.disconnect()
    this.#control?.disconnect()
    this.#subscriber = undefined
    this.#control = undefined
    this.#subscriberId = undefined
    this.#tracked = []
    return Promise.resolve()
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
      const control = this.#control
      const subscriberId = this.#subscriberId
      if (control === undefined || subscriberId === undefined || this.#listeners.size === 0) return
      await this.#apply(control, subscriberId)
    }).catch(() => {})
    this.#releasing = releasing
    return releasing
  }
}

/** The fewest prefixes that cover `prefixes`: none of them starts with another (Redis refuses overlaps). */
export function coverOf(prefixes: Iterable<string>): string[] {
  const cover: string[] = []
  // In sorted order a prefix comes right before the strings it covers, so only the last kept one can cover the next.
  for (const prefix of [...prefixes].sort()) {
    const last = cover.at(-1)
    if (last === undefined || !prefix.startsWith(last)) cover.push(prefix)
  }
  return cover
}

/** The tracking hub of `client`, shared by every cache that uses the client. */
export const trackingHub = perClient((client) => new TrackingHub(client))
