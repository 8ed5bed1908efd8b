import { ErrorCode, SyncError } from '../errors.js'
import { tellReceived, tellSent } from '../observe/events.js'
import type { TransportView } from '../redis/transport-view.js'
import { LuaScript } from '../store/scripts.js'
import type { TagNotice } from '../store/tag-keys.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import { LazySubscription } from './lazy-subscription.js'
import type { SubscriberHub } from './subscriber-hub.js'

/** How instances keep their L1 coherent. */
export const SyncMode = { none: 'none', pubsub: 'pubsub', tracking: 'tracking' } as const
export type SyncMode = (typeof SyncMode)[keyof typeof SyncMode]

/** Where an invalidation came from. */
export type InvalidationOrigin = 'local' | 'remote' | 'tracking' | 'reconnect'

/** A message on `${name}:__sync`: keys only, never values. */
interface SyncMessage {
  /** The instance that sent it. */
  o: string
  /** 'w': these keys were written or deleted; 'c': the namespace was cleared; 't': tags were invalidated. */
  e: 'w' | 'c' | 't'
  /** The encoded keys ('w'). */
  k?: string[]
  /** The tags and their counts after the invalidation ('t'): `[tag, hard, soft]` each. */
  t?: [string, number, number][]
  /** When it was sent (ms since the epoch, the sender's clock): receivers publish the delay. */
  s?: number
}

export interface SyncBusConfig {
  name: string
  /** This instance's id, carried by its messages so that it can skip its own. */
  origin: string
  batcher: TransportView
  hub: SubscriberHub
  timeoutMs: number
  /** Whether other instances' messages invalidate L1 ('pubsub', 'tracking'). */
  invalidate: boolean
  /**
   * Whether this instance's writes are broadcast ('pubsub'). With 'tracking' Redis tells the others
   * itself, and a message would only cost the writer a round of its own echo.
   */
  publishWrites: boolean
  /**
   * Also publish each written key on `${name}/update` or `${name}/delete` and listen there, as
   * Python's redis_pubsub_dict (PubSubRedisDict, PubSubCacheManager) does, for mixed fleets.
   */
  pubsubDict: boolean
  /** Sharded pub/sub (SPUBLISH), as on a Redis Cluster, where plain PUBLISH crosses every node. */
  sharded: boolean
  /**
   * How long this instance may go without proof that it hears its channel (see heartbeat.ts), and
   * how long a failed notice is retried; `null`: no heartbeat (notices are retried for 2 s).
   */
  maxStalenessMs: number | null
  /** Another instance changed these keys (or, with 'all', anything), or messages may have been lost. */
  onInvalidate: (keys: string[] | 'all', origin: InvalidationOrigin) => void
  /** Another instance invalidated these tags: their counts are now (at least) these. */
  onTags: (stamps: TagStamp[]) => void
  /** This instance cannot tell that it hears the others any more: its subscriber dropped, or went silent. */
  onUnheard: (reason: 'dropped' | 'silent') => void
  /** It hears them again (after `onUnheard`). */
  onHeard: () => void
  /** The subscriber connection is back after a drop: messages sent meanwhile were lost. */
  onReconnected: () => void
  /** Where failures nobody awaits go (a notice that could not be published). */
  report: (error: SyncError) => void
}

/**
 * Publishes ARGV[2..] on channel ARGV[1], one message each, as one command: a clear()'s thousands of
 * deletes cost the client one command per batch instead of one per key. (Not on a Cluster, where
 * SPUBLISH must go to the channel's own shard.)
 */
const publishEach = new LuaScript(`
for index = 2, #ARGV do redis.call('PUBLISH', ARGV[1], ARGV[index]) end
return 0
`)

/** How soon a failed notice goes again, at first; the wait doubles up to `maxRetryDelayMs`. */
const firstRetryDelayMs = 50
const maxRetryDelayMs = 500
/** How long failed notices are retried without a heartbeat's bound. */
const defaultRetryMs = 2000

/**
 * The cache's channel `${name}:__sync`, on its client's shared subscriber connection. Keys written
 * or deleted in one tick travel as one message, in the same pipeline as the writes (so a reader
 * never hears of a write before Redis has it); `clear()` is one message. An instance skips its own
 * messages. (Lock holders' notices have a channel of their own: lock/lock-notices.ts.) When the subscriber connection drops, every
 * L1 that relied on it is emptied on reconnection, since messages may have been lost.
 */
export class SyncBus {
  readonly #config: SyncBusConfig
  readonly #channel: string
  readonly #subscription = new LazySubscription(() => this.#subscribeAll())
  #publishWrites: boolean
  readonly #ownPrefix: string
  /** The notice of this tick's writes on its way, and the keys it carries (kept should it fail). */
  #sending: { promise: Promise<unknown>; keys: string[] } | undefined
  /** Notices that failed, to be sent again: their keys (or 'all' after a clear). */
  #unsent: Set<string> | 'all' | undefined
  #retryUntil = 0
  #retryDelayMs = firstRetryDelayMs
  #retryTimer: NodeJS.Timeout | undefined
  sent = 0
  received = 0
  /** Notices given up on: retried until the bound passed without reaching Redis. */
  failed = 0

  constructor(config: SyncBusConfig) {
    this.#config = config
    this.#channel = `${config.name}:__sync`
    this.#publishWrites = config.publishWrites
    // Messages are serialized with the origin first, so an instance spots its own without parsing.
    this.#ownPrefix = `{"o":${JSON.stringify(config.origin)},`
  }

  get channel(): string {
    return this.#channel
  }

  /** Subscribes now (pubsub mode subscribes at construction, so that no message is missed). */
  start(): Promise<boolean> {
    return this.#subscription.ensure()
  }

  /** Why the last subscription attempt failed, if it did. */
  get subscribeError(): unknown {
    return this.#subscription.lastError
  }

  /**
   * `keys` are being written (or deleted), their commands queued already: other instances hear of
   * it in one message per tick, sent last in the tick's pipeline, after the writes.
   */
  written(keys: string[], deleted = false): void {
    if (this.#config.pubsubDict) this.#publishDict(keys, deleted ? 'delete' : 'update')
    if (!this.#publishWrites) return
    const { batcher, origin } = this.#config
    const command = this.#publishCommand
    const channel = this.#channel
    // Keyed by origin too: instances that share a client (and so a batcher) send messages of their own.
    const sending = batcher.coalesce(
      `${channel}\n${origin}`,
      command,
      (written) => {
        tellSent(this.#config.name, 'write', written.length)
        return [
          channel,
          JSON.stringify({ o: origin, e: 'w', k: written, s: Date.now() } satisfies SyncMessage),
        ]
      },
      keys,
    )
    if (this.#sending?.promise === sending) {
      for (const key of keys) this.#sending.keys.push(key)
    } else {
      const record = { promise: sending, keys: [...keys] }
      this.#sending = record
      this.sent++
      // A notice that fails leaves the others stale: it is reported and sent again.
      sending.then(
        () => {
          if (this.#sending === record) this.#sending = undefined
        },
        (error: unknown) => {
          if (this.#sending === record) this.#sending = undefined
          this.#noticeFailed(record.keys, error)
        },
      )
    }
  }

  /**
   * redis_pubsub_dict speaks one key per message, on a channel per kind of change; its peers hear of
   * every write whatever `sync` is (with 'tracking' or 'none' too), since they track nothing else.
   */
  #publishDict(keys: string[], kind: 'update' | 'delete'): void {
    const { batcher, name } = this.#config
    const command = this.#publishCommand
    const dictChannel = `${name}/${kind}`
    for (const key of keys) {
      batcher.coalesce(`${dictChannel}\n${key}`, command, () => [dictChannel, key], [key]).catch(() => {})
    }
  }

  /**
   * clear() is removing `keys` (its UNLINK queued in this tick): each goes on `${name}/delete` (or
   * `${namespace}/delete`, for clearVersions' old versions), as
   * redis_pubsub_dict's own clear() (a `del` per key) publishes them, in the same round trip. Sent
   * as plain commands in the UNLINK's order, not coalesced: a clear's keys are distinct already.
   */
  removed(keys: string[], namespace = this.#config.name): void {
    const { batcher, sharded } = this.#config
    const dictChannel = `${namespace}/delete`
    if (!sharded) {
      publishEach.run(batcher, [], [dictChannel, ...keys]).catch(() => {})
      return
    }
    for (const key of keys) batcher.command('SPUBLISH', [dictChannel, key]).catch(() => {})
  }

  /** Starts broadcasting writes (tracking was refused: the other instances need the messages). */
  publishWrites(): void {
    this.#publishWrites = true
  }

  /**
   * The namespace was emptied: one message tells every instance; resolves once Redis has it, or
   * once it failed (then it is reported and sent again); never rejects.
   */
  cleared(): Promise<void> {
    if (!this.#config.invalidate) return Promise.resolve()
    this.sent++
    tellSent(this.#config.name, 'clear', 0)
    return this.#publish({ o: this.#config.origin, e: 'c', s: Date.now() }).then(
      () => undefined,
      (error: unknown) => this.#noticeFailed('all', error),
    )
  }

  /**
   * This instance invalidated tags (their counts raised to `stamps` in Redis already): one message
   * tells the other instances (with 'pubsub' and 'tracking' alike: Redis tracks no tag for them).
   * Resolves once Redis has it; a failure is reported, and retried as a clear's notice (every other
   * L1 emptied), since no instance may keep serving what the tags covered; never rejects.
   */
  tagsInvalidated(stamps: TagStamp[], published = false): Promise<void> {
    if (!this.#config.invalidate || stamps.length === 0) return Promise.resolve()
    this.sent++
    tellSent(this.#config.name, 'tags', stamps.length)
    if (published) return Promise.resolve()
    const t = stamps.map(({ tag, hard, soft }): [string, number, number] => [tag, hard, soft])
    return this.#publish({ o: this.#config.origin, e: 't', t, s: Date.now() }).then(
      () => undefined,
      (error: unknown) => this.#noticeFailed('all', error),
    )
  }

  /**
   * Where a script that raises tag counts may publish their news itself, in the same step: the
   * channel and this instance's id; not on a Cluster (SPUBLISH must stay in the channel's slot) nor
   * without sync.
   */
  tagNotice(): TagNotice | undefined {
    const { invalidate, sharded, origin } = this.#config
    return invalidate && !sharded ? { channel: this.#channel, origin } : undefined
  }

  /** Unsubscribes (the shared connection closes when its last cache leaves); notices not sent yet are dropped. */
  close(): Promise<void> {
    clearTimeout(this.#retryTimer)
    this.#unsent = undefined
    return this.#subscription.close()
  }

  /**
   * A notice failed: its keys wait with the others that did, and go again in one message, until
   * Redis has it or the bound has passed. Reported once per run of failures.
   */
  #noticeFailed(keys: string[] | 'all', error: unknown): void {
    const now = performance.now()
    const boundMs = this.#config.maxStalenessMs ?? defaultRetryMs
    if (this.#unsent === undefined) {
      this.#retryUntil = now + boundMs
      this.#retryDelayMs = firstRetryDelayMs
      const what = keys === 'all' ? 'the clear' : `the invalidation of ${keys.length} key(s)`
      this.#config.report(
        new SyncError(
          ErrorCode.syncNotice,
          this.#channel,
          `Could not publish ${what} on \`${this.#channel}\`: ${(error as Error).message}; retrying for up to ${boundMs} ms`,
          { cause: error },
        ),
      )
    }
    if (keys === 'all' || this.#unsent === 'all') this.#unsent = 'all'
    else {
      this.#unsent ??= new Set()
      for (const key of keys) this.#unsent.add(key)
    }
    this.#retryTimer ??= setTimeout(() => this.#resend(), this.#retryDelayMs).unref()
  }

  #resend(): void {
    this.#retryTimer = undefined
    const unsent = this.#unsent
    if (unsent === undefined) return
    if (performance.now() > this.#retryUntil) {
      this.#unsent = undefined
      this.failed++
      this.#config.report(
        new SyncError(
          ErrorCode.syncNotice,
          this.#channel,
          `Gave up publishing an invalidation on \`${this.#channel}\` after ${this.#config.maxStalenessMs ?? defaultRetryMs} ms: instances that still hear the channel may serve older values until their localTtl`,
        ),
      )
      return
    }
    this.#unsent = undefined
    const { origin } = this.#config
    const message: SyncMessage =
      unsent === 'all' ? { o: origin, e: 'c' } : { o: origin, e: 'w', k: [...unsent] }
    this.#publish(message).then(
      () => undefined,
      (error: unknown) => {
        // Back on the list (with whatever failed meanwhile), a little later.
        const waiting = this.#unsent
        this.#unsent =
          unsent === 'all' || waiting === 'all' ? 'all' : new Set([...unsent, ...(waiting ?? [])])
        this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, maxRetryDelayMs)
        this.#retryTimer ??= setTimeout(() => this.#resend(), this.#retryDelayMs).unref()
        void error
      },
    )
  }

  get #publishCommand(): 'PUBLISH' | 'SPUBLISH' {
    return this.#config.sharded ? 'SPUBLISH' : 'PUBLISH'
  }

  #publish(message: SyncMessage): Promise<unknown> {
    return this.#config.batcher.command(this.#publishCommand, [this.#channel, JSON.stringify(message)])
  }

  /** The cache's channel (and redis_pubsub_dict's, when asked); all or none. */
  async #subscribeAll(): Promise<() => void> {
    const { hub, timeoutMs, name, pubsubDict, invalidate, maxStalenessMs } = this.#config
    const reconnected = (): void => {
      if (invalidate) this.#config.onReconnected()
    }
    const dropped = (): void => {
      if (invalidate) this.#config.onUnheard('dropped')
    }
    const subscriptions = [
      hub.listen(this.#channel, { message: (text) => this.#receive(text), reconnected, dropped }, timeoutMs),
    ]
    if (pubsubDict && invalidate) {
      for (const kind of ['update', 'delete']) {
        subscriptions.push(
          hub.listen(`${name}/${kind}`, { message: (key) => this.#receiveKey(key) }, timeoutMs),
        )
      }
    }
    const settled = await Promise.allSettled(subscriptions)
    const stops = settled.flatMap((each) => (each.status === 'fulfilled' ? [each.value] : []))
    const stopAll = (): void => {
      for (const stop of stops) stop()
    }
    const failed = settled.find((each) => each.status === 'rejected')
    if (failed !== undefined) {
      stopAll()
      throw (failed as PromiseRejectedResult).reason
    }
    if (invalidate && maxStalenessMs !== null) {
      stops.push(
        hub.confirm(this.#channel, {
          boundMs: maxStalenessMs,
          unheard: () => this.#config.onUnheard('silent'),
          heard: () => this.#config.onHeard(),
        }),
      )
    }
    return stopAll
  }

  /** A key from redis_pubsub_dict's channels (its own messages carry no origin: ours come back too). */
  #receiveKey(key: string): void {
    this.received++
    tellReceived(this.#config.name, 'write', 1, undefined)
    this.#config.onInvalidate([key], 'remote')
  }

  #receive(text: string): void {
    if (text.startsWith(this.#ownPrefix)) return
    let message: Partial<SyncMessage>
    try {
      message = JSON.parse(text) as Partial<SyncMessage>
    } catch {
      return
    }
    if (message.o === this.#config.origin) return
    if (!this.#config.invalidate) return
    const keys = Array.isArray(message.k) ? message.k.filter((key) => typeof key === 'string') : []
    this.received++
    const { name } = this.#config
    if (message.e === 'c') {
      tellReceived(name, 'clear', 0, message.s)
      this.#config.onInvalidate('all', 'remote')
    } else if (message.e === 'w' && keys.length > 0) {
      tellReceived(name, 'write', keys.length, message.s)
      this.#config.onInvalidate(keys, 'remote')
    } else if (message.e === 't' && Array.isArray(message.t)) {
      const stamps = stampsOf(message.t)
      tellReceived(name, 'tags', stamps.length, message.s)
      this.#config.onTags(stamps)
    }
  }
}

/** The well-formed `[tag, hard, soft]` items of a tag message (another program may write them). */
function stampsOf(items: unknown[]): TagStamp[] {
  const stamps: TagStamp[] = []
  for (const item of items) {
    if (!Array.isArray(item)) continue
    const [tag, hard, soft] = item as unknown[]
    if (typeof tag === 'string' && Number.isSafeInteger(hard) && Number.isSafeInteger(soft))
      stamps.push({ tag, hard: hard as number, soft: soft as number })
  }
  return stamps
}
