import type { PipelineBatcher } from '../remote/pipeline-batcher.js'
import type { SubscriberHub } from '../sync/subscriber-hub.js'

/** What a lock holder announces when it lets go: the value is in Redis, or it is not (the load failed). */
export type LoadOutcome = 'loaded' | 'released'

/** Waits for the notices about one key. */
export interface NoticeWatch {
  /** Resolves at the next notice about the key, or after `ms` (a slow poll, in case a notice was missed). */
  next(ms: number): Promise<void>
  stop(): void
}

interface Notice {
  /** The instance that sent it. */
  o: string
  /** What happened. */
  e: LoadOutcome
  /** The encoded keys it is about. */
  k: string[]
}

/**
 * Tells waiting processes that a lock holder is done, on the cache's channel `${name}:__sync`, so
 * that they read the value at once instead of polling Redis. Each cache subscribes through its
 * client's shared subscriber connection the first time it waits, and stays subscribed until close.
 */
export class LoadNotices {
  readonly #channel: string
  readonly #origin: string
  readonly #batcher: PipelineBatcher
  readonly #hub: SubscriberHub
  readonly #timeoutMs: number
  readonly #waiters = new Map<string, Set<() => void>>()
  #listening: Promise<(() => void) | undefined> | undefined
  #closed = false

  constructor(name: string, origin: string, batcher: PipelineBatcher, hub: SubscriberHub, timeoutMs: number) {
    this.#channel = `${name}:__sync`
    this.#origin = origin
    this.#batcher = batcher
    this.#hub = hub
    this.#timeoutMs = timeoutMs
  }

  /** Starts waiting for notices about `key`; subscribes the cache first if it is not yet. */
  async watch(key: string): Promise<NoticeWatch> {
    await this.#listen()
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

  /** Publishes that the load of `key` is over (a failure to publish only costs waiters a poll). */
  announce(key: string, outcome: LoadOutcome): void {
    const notice: Notice = { o: this.#origin, e: outcome, k: [key] }
    this.#batcher.command('PUBLISH', [this.#channel, JSON.stringify(notice)]).catch(() => {})
  }

  /** Unsubscribes (the shared connection closes when its last cache leaves). */
  async close(): Promise<void> {
    this.#closed = true
    const stop = await this.#listening
    stop?.()
  }

  #listen(): Promise<(() => void) | undefined> {
    this.#listening ??= this.#hub
      .listen(this.#channel, (message) => this.#receive(message), this.#timeoutMs)
      .then(
        (stop) => {
          if (this.#closed) stop()
          return stop
        },
        // Without a subscription, waiters still poll; the next wait tries to subscribe again.
        () => {
          this.#listening = undefined
          return undefined
        },
      )
    return this.#listening
  }

  #receive(message: string): void {
    let notice: Partial<Notice>
    try {
      notice = JSON.parse(message) as Partial<Notice>
    } catch {
      return
    }
    if (!Array.isArray(notice.k)) return
    for (const key of notice.k) {
      for (const waiter of this.#waiters.get(key) ?? []) waiter()
    }
  }
}
