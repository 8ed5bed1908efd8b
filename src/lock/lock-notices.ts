import type { TransportView } from '../redis/transport-view.js'
import { LazySubscription } from '../sync/lazy-subscription.js'
import type { SubscriberHub } from '../sync/subscriber-hub.js'

/** Waits for the notices about one key. */
export interface KeyWatch {
  /** Resolves at the next notice about the key, or after `ms` (a slow poll, in case one was missed). */
  next(ms: number): Promise<void>
  stop(): void
}

/**
 * A notice on `${name}:__lock`: a lock holder stored the key's value ('l') or gave up ('r'). The
 * notices one instance sends in one tick (a getOrSetMany's keys) share one message: the first in
 * `e` and `k` (all a receiver of single-key notices reads; it polls for the others), the others
 * in `l` (stored) and `r` (given up).
 */
interface LockNotice {
  /** The instance that sent it. */
  o: string
  e: 'l' | 'r'
  k: string
  l?: string[]
  r?: string[]
}

/** A queued notice: its event's letter, then the key. */
type NoticeItem = `${'l' | 'r'}${string}`

/** The message of the notices `items` (in the order sent). */
function noticeOf(origin: string, items: Iterable<string>): LockNotice {
  let notice: LockNotice | undefined
  for (const item of items) {
    const e = item[0] === 'l' ? 'l' : 'r'
    const k = item.slice(1)
    if (notice === undefined) {
      notice = { o: origin, e, k }
      continue
    }
    const more = notice[e]
    if (more === undefined) notice[e] = [k]
    else more.push(k)
  }
  return notice ?? { o: origin, e: 'r', k: '' }
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
    return this.#publish([`l${key}`])
  }

  /** The holder gave up on `key` without a value: waiters try the lock themselves. */
  released(key: string): Promise<void> {
    return this.#publish([`r${key}`])
  }

  /** The holder stored (`'l'`) or gave up on (`'r'`) `keys`: their waiters hear it (in this tick's message). */
  tell(keys: string[], event: 'l' | 'r'): Promise<void> {
    return this.#publish(keys.map((key): NoticeItem => `${event}${key}`))
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

  #publish(items: NoticeItem[]): Promise<void> {
    const { batcher, origin, sharded } = this.#config
    const channel = this.#channel
    // One message per tick, sent last in the tick's pipeline (after the writes it tells of); keyed
    // by origin too, as instances that share a client (and so a batcher) send messages of their own.
    const build = (items: string[]) => [channel, JSON.stringify(noticeOf(origin, items))]
    const sending = batcher.coalesce(`${channel}\n${origin}`, sharded ? 'SPUBLISH' : 'PUBLISH', build, items)
    // A lost notice costs waiters one poll, nothing else.
    return sending.then(
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
    this.#wake(notice.k)
    for (const more of [notice.l, notice.r]) {
      if (!Array.isArray(more)) continue
      for (const key of more) if (typeof key === 'string') this.#wake(key)
    }
  }

  #wake(key: string): void {
    for (const waiter of this.#waiters.get(key) ?? []) waiter()
  }
}
