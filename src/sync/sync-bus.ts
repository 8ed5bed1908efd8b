import type { TransportView } from '../redis/transport-view.js'
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
  /** 'w': these keys were written or deleted; 'c': the namespace was cleared. */
  e: 'w' | 'c'
  /** The encoded keys ('w'). */
  k?: string[]
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
  /** Another instance changed these keys (or, with 'all', anything), or messages may have been lost. */
  onInvalidate: (keys: string[] | 'all', origin: InvalidationOrigin) => void
}

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
  /** The coalesced messages already counted in `sent` (one per tick). */
  #counted = new WeakSet<Promise<unknown>>()
  readonly #subscription = new LazySubscription(() => this.#subscribeAll())
  #publishWrites: boolean
  readonly #ownPrefix: string
  sent = 0
  received = 0

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

  /**
   * `keys` are being written (or deleted), their commands queued already: other instances hear of
   * it in one message per tick, sent last in the tick's pipeline, after the writes.
   */
  written(keys: string[], deleted = false): void {
    if (!this.#publishWrites) return
    const { batcher, origin, name, pubsubDict } = this.#config
    const command = this.#publishCommand
    const channel = this.#channel
    // Keyed by origin too: instances that share a client (and so a batcher) send messages of their own.
    const sending = batcher.coalesce(
      `${channel}\n${origin}`,
      command,
      (written) => [channel, JSON.stringify({ o: origin, e: 'w', k: written } satisfies SyncMessage)],
      keys,
    )
    if (!this.#counted.has(sending)) {
      this.#counted.add(sending)
      this.sent++
      // A lost message costs other instances freshness until their localTtl, not correctness of Redis.
      sending.catch(() => {})
    }
    if (!pubsubDict) return
    // redis_pubsub_dict speaks one key per message, on a channel per kind of change.
    const dictChannel = `${name}/${deleted ? 'delete' : 'update'}`
    for (const key of keys) {
      batcher.coalesce(`${dictChannel}\n${key}`, command, () => [dictChannel, key], [key]).catch(() => {})
    }
  }

  /** Starts broadcasting writes (tracking was refused: the other instances need the messages). */
  publishWrites(): void {
    this.#publishWrites = true
  }

  /** The namespace was emptied: one message tells every instance; resolves once Redis has it (never rejects). */
  cleared(): Promise<void> {
    if (!this.#config.invalidate) return Promise.resolve()
    return this.#publish({ o: this.#config.origin, e: 'c' })
  }

  /** Unsubscribes (the shared connection closes when its last cache leaves). */
  close(): Promise<void> {
    return this.#subscription.close()
  }

  get #publishCommand(): 'PUBLISH' | 'SPUBLISH' {
    return this.#config.sharded ? 'SPUBLISH' : 'PUBLISH'
  }

  #publish(message: SyncMessage): Promise<void> {
    this.sent++
    // A lost message costs other instances freshness until their localTtl, not correctness of Redis.
    return this.#config.batcher.command(this.#publishCommand, [this.#channel, JSON.stringify(message)]).then(
      () => undefined,
      () => undefined,
    )
  }

  /** The cache's channel (and redis_pubsub_dict's, when asked); all or none. */
  async #subscribeAll(): Promise<() => void> {
    const { hub, timeoutMs, name, pubsubDict, invalidate } = this.#config
    const reconnected = (): void => {
      if (invalidate) this.#config.onInvalidate('all', 'reconnect')
    }
    const subscriptions = [
      hub.listen(this.#channel, { message: (text) => this.#receive(text), reconnected }, timeoutMs),
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
    return stopAll
  }

  /** A key from redis_pubsub_dict's channels (its own messages carry no origin: ours come back too). */
  #receiveKey(key: string): void {
    this.received++
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
    if (message.e === 'c') this.#config.onInvalidate('all', 'remote')
    else if (message.e === 'w' && keys.length > 0) this.#config.onInvalidate(keys, 'remote')
  }
}
