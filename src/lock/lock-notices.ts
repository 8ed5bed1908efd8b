import type { TransportView } from '../redis/transport-view.js'
import { LazySubscription } from '../sync/lazy-subscription.js'
import type { SubscriberHub } from '../sync/subscriber-hub.js'

/** Waits for the notices about one key. */
export interface KeyWatch {
  /** Resolves at the next notice about the key, or after `ms` (a slow poll, in case one was missed). */
  next(ms: number): Promise<void>
  stop(): void
}

/** A notice on `${name}:__lock`: a lock holder stored the key's value ('l') or gave up ('r'). */
interface LockNotice {
  /** The instance that sent it. */
  o: string
  e: 'l' | 'r'
  k: string
}

export interface LockNoticesConfig {
  name: string
  /** This instance's id, carried by its notices so that it can skip its own. */
  origin: string
  batcher: TransportView
  hub: SubscriberHub
  timeoutMs: number
  /** Sharded pub/sub (SPUBLISH), as on a Redis Cluster. */
  sharded: boolean
}

/**
 * The lock holders' notices of one cache, on a channel of their own (`${name}:__lock`, apart from
 * the L1-coherence channel): a waiter for a key wakes when the holder stored its value or gave up.
 * The channel is subscribed when the first waiter comes; a lost notice costs a waiter one poll.
 */
export class LockNotices {
  readonly #config: LockNoticesConfig
  readonly #channel: string
  readonly #waiters = new Map<string, Set<() => void>>()
  readonly #subscription: LazySubscription

  constructor(config: LockNoticesConfig) {
    this.#config = config
    this.#channel = `${config.name}:__lock`
    const { hub, timeoutMs } = config
    // Without a subscription, waiters still poll; the next wait tries to subscribe again.
    this.#subscription = new LazySubscription(() =>
      hub.listen(this.#channel, { message: (text) => this.#receive(text) }, timeoutMs),
    )
  }

  /** The holder stored `key`: waiters read it. Resolves once sent (never rejects). */
  loaded(key: string): Promise<void> {
    return this.#publish({ o: this.#config.origin, e: 'l', k: key })
  }

  /** The holder gave up on `key` without a value: waiters try the lock themselves. */
  released(key: string): Promise<void> {
    return this.#publish({ o: this.#config.origin, e: 'r', k: key })
  }

  /** Starts waiting for notices about `key`; subscribes first if this cache does not listen yet. */
  async watch(key: string): Promise<KeyWatch> {
    await this.#subscription.ensure()
    let wake: (() => void) | undefined
    let pending = false
    const waiter = (): void => {
      if (wake === undefined) pending = true
      else wake()
    }
    let waiters = this.#waiters.get(key)
    if (waiters === undefined) {
      waiters = new Set()
      this.#waiters.set(key, waiters)
    }
    waiters.add(waiter)
    return {
      next: (ms) =>
        new Promise<void>((resolve) => {
          if (pending) {
            pending = false
            resolve()
            return
          }
          const timer = setTimeout(done, ms)
          function done(): void {
            clearTimeout(timer)
            wake = undefined
            resolve()
          }
          wake = done
        }),
      stop: () => {
        waiters.delete(waiter)
        if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key)
      },
    }
  }

  /** Wakes every waiter now, as a notice would (the cache is closing: they stop waiting). */
  wakeAll(): void {
    for (const waiters of [...this.#waiters.values()]) for (const waiter of [...waiters]) waiter()
  }

  /** Unsubscribes (the shared connection closes when its last listener leaves). */
  close(): Promise<void> {
    return this.#subscription.close()
  }

  #publish(notice: LockNotice): Promise<void> {
    const command = this.#config.sharded ? 'SPUBLISH' : 'PUBLISH'
    // A lost notice costs waiters one poll, nothing else.
    return this.#config.batcher.command(command, [this.#channel, JSON.stringify(notice)]).then(
      () => undefined,
      () => undefined,
    )
  }

  #receive(text: string): void {
    let notice: Partial<LockNotice>
    try {
      notice = JSON.parse(text) as Partial<LockNotice>
    } catch {
      return
    }
    if (notice.o === this.#config.origin || typeof notice.k !== 'string') return
    for (const waiter of this.#waiters.get(notice.k) ?? []) waiter()
  }
}
