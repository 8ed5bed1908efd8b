import type { TransportView } from '../redis/transport-view.js'
import type { KeyWatch, LockNotices } from './lock-notices.js'
import { type HeldLock, type LockLoss, RedisLock } from './redis-lock.js'
import { type GroupLock, RedisLockGroup } from './redis-lock-group.js'

/**
 * The lock service read-through uses: Redis locks on `${lockPrefix}${keyPrefix}${key}` (in the slot
 * of the entry they guard), and their holders' notices.
 */
export class Locks {
  readonly #batcher: TransportView
  readonly #prefix: string
  readonly #notices: LockNotices

  constructor(batcher: TransportView, prefix: string, notices: LockNotices) {
    this.#batcher = batcher
    this.#prefix = prefix
    this.#notices = notices
  }

  /** The Redis key of the lock of encoded key `key`. */
  keyOf(key: string): string {
    return this.#prefix + key
  }

  /** A lock on `key`, not yet taken; `onLost` hears (at most once) that it vanished under its holder. */
  lock(key: string, ttlMs: number, onLost: (loss: LockLoss) => void): RedisLock {
    return new RedisLock(this.#batcher, this.keyOf(key), ttlMs, onLost)
  }

  /**
   * A group of locks (getOrSetMany's) whose keys are taken, extended and released together; `ttlMs`
   * for all; `afterAcquiring` as RedisLockGroup's.
   */
  group(ttlMs: number, afterAcquiring?: (locks: GroupLock[]) => void): RedisLockGroup {
    return new RedisLockGroup(this.#batcher, ttlMs, afterAcquiring)
  }

  /** Starts waiting for the holder's notices about `key`. */
  watch(key: string): Promise<KeyWatch> {
    return this.#notices.watch(key)
  }

  /** The holder stored `key` (`loaded`) or gave up on it: waiters hear it. Never rejects. */
  done(key: string, outcome: 'loaded' | 'released'): Promise<void> {
    return outcome === 'loaded' ? this.#notices.loaded(key) : this.#notices.released(key)
  }

  /** The holder stored `keys` (`loaded`) or gave up on them: their waiters hear it in one message. Never rejects. */
  doneMany(keys: string[], outcome: 'loaded' | 'released'): Promise<void> {
    return this.#notices.tell(keys, outcome === 'loaded' ? 'l' : 'r')
  }

  /** Wakes every waiter for a holder's notice now (the cache is closing). */
  wakeAll(): void {
    this.#notices.wakeAll()
  }

  close(): Promise<void> {
    return this.#notices.close()
  }
}

/**
 * A lock of `key` not to be used (its acquisition failed or came too late, or the cache is
 * closing): one Redis gave is released and its waiters told; one Redis may still apply (the SET was
 * sent, its reply lost or late) is deleted if it is ours, by a command sent after it on the same
 * connection.
 */
export function letGo(
  locks: Pick<Locks, 'done'>,
  lock: HeldLock,
  acquiring: Promise<boolean>,
  key: string,
): void {
  acquiring.then(
    (taken) => {
      if (!taken) return
      lock.release().then(
        () => locks.done(key, 'released'),
        () => {},
      )
    },
    () => {
      lock.discard().catch(() => {})
    },
  )
}
