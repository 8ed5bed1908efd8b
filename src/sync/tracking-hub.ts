import type { RedisClient } from '../redis/connection.js'
import { duplicateOf, perClient, watchReconnections } from '../redis/per-client.js'
import { isCluster } from '../redis/slot-router.js'
import { within } from '../within.js'

/** What a cache hears from Redis's own invalidations. */
export interface TrackingListener {
  /** Keys of this prefix (prefix removed) changed, expired or were evicted; 'all' after a FLUSHALL. */
  invalidated: (keys: string[] | 'all') => void
  /** Invalidations may have been lost (a connection dropped, or tracking was re-armed). */
  reconnected: () => void
}

/** Redis refused client tracking (a server before 6.0, or one that forbids it). */
export class TrackingRefusedError extends Error {}

const invalidationChannel = '__redis__:invalidate'

/**
 * Server-assisted invalidation for every cache of one client, on two connections flipcache owns:
 * a RESP2 subscriber to `__redis__:invalidate` (RESP2, because a RESP3 connection gets these as
 * push frames that ioredis drops), and a control connection that runs
 * `CLIENT TRACKING ON REDIRECT <subscriber id> BCAST PREFIX <name>:` for each cache. Writes by any
 * client (redis-cli, another service), expiries and evictions of those keys then reach L1.
 */
export class TrackingHub {
  readonly #client: RedisClient
  readonly #listeners = new Map<string, Set<TrackingListener>>()
  /** Prefixes Redis tracks for us now (none covers another). */
  #tracked: string[] = []
  #subscriber: RedisClient | undefined
  #control: RedisClient | undefined
  #subscriberId: string | undefined
  #subscriberName = ''
  #arming: Promise<void> = Promise.resolve()

  constructor(client: RedisClient) {
    this.#client = client
  }

  /** Starts tracking `prefix` for `listener`; rejects with TrackingRefusedError if Redis will not. */
  async register(prefix: string, listener: TrackingListener, timeoutMs: number): Promise<() => void> {
    let listeners = this.#listeners.get(prefix)
    if (listeners === undefined) {
      listeners = new Set()
      this.#listeners.set(prefix, listeners)
    }
    listeners.add(listener)
    const stop = (): void => this.#leave(prefix, listener)
    try {
      await within(
        this.#serialize(() => this.#track(prefix)),
        timeoutMs,
        () => {
          throw new Error(`CLIENT TRACKING did not complete within ${timeoutMs} ms`)
        },
      )
    } catch (error) {
      stop()
      throw error
    }
    return stop
  }

  /** One change to the tracking state at a time. */
  #serialize(change: () => Promise<void>): Promise<void> {
    const next = this.#arming.then(change, change)
    this.#arming = next.catch(() => {})
    return next
  }

  async #track(prefix: string): Promise<void> {
    if (isCluster(this.#client)) {
      throw new TrackingRefusedError(
        'Client tracking is not used on a Redis Cluster (each master would need tracking connections of its own)',
      )
    }
    const { control, subscriberId } = await this.#open().catch((error: unknown) => {
      // Redis answered, with an error (no permission for CLIENT, say): it will not track for us.
      if (error instanceof Error && error.name === 'ReplyError') {
        throw new TrackingRefusedError(`Redis refused client tracking: ${error.message}`, { cause: error })
      }
      throw error
    })
    if (this.#tracked.some((tracked) => prefix.startsWith(tracked))) return
    const covered = this.#tracked.filter((tracked) => tracked.startsWith(prefix))
    if (covered.length === 0) {
      await this.#on(control, subscriberId, [prefix])
      this.#tracked.push(prefix)
      return
    }
    // The new prefix covers tracked ones: Redis forbids overlapping prefixes, so tracking is re-armed
    // with the shorter one. Invalidations in that gap would be lost, so the caches start over.
    const prefixes = [...this.#tracked.filter((tracked) => !covered.includes(tracked)), prefix]
    await control.call('CLIENT', 'TRACKING', 'OFF')
    await this.#on(control, subscriberId, prefixes)
    this.#tracked = prefixes
    this.#everyListener((listener) => listener.reconnected())
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
      subscriber.on('error', () => {})
      control.on('error', () => {})
      subscriber.on('messageBuffer', (channel: Buffer, keys: unknown) => {
        if (channel.toString() === invalidationChannel) this.#dispatch(keys)
      })
      try {
        await subscriber.subscribe(invalidationChannel)
      } catch (error) {
        subscriber.disconnect()
        control.disconnect()
        throw error
      }
      for (const connection of [subscriber, control]) {
        watchReconnections(connection, () => {
          this.#serialize(() => this.#rearm()).catch(() => {})
        })
      }
      this.#subscriberName = name
      this.#subscriber = subscriber
      this.#control = control
    }
    this.#subscriberId ??= await this.#idOfSubscriber()
    return { control: this.#control, subscriberId: this.#subscriberId }
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
    this.#subscriberId = undefined
    const { control, subscriberId } = await this.#open()
    await control.call('CLIENT', 'TRACKING', 'OFF').catch(() => {})
    if (this.#tracked.length > 0) await this.#on(control, subscriberId, this.#tracked)
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

  #leave(prefix: string, listener: TrackingListener): void {
    const listeners = this.#listeners.get(prefix)
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return
    this.#listeners.delete(prefix)
    if (this.#listeners.size > 0) return
    // The last cache left: close both connections (Redis drops their tracking with them).
    this.#subscriber?.disconnect()
    this.#control?.disconnect()
    this.#subscriber = undefined
    this.#control = undefined
    this.#subscriberId = undefined
    this.#tracked = []
  }
}

/** The tracking hub of `client`, shared by every cache that uses the client. */
export const trackingHub = perClient((client) => new TrackingHub(client))
