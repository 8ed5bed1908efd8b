import * as clock from '../clock.js'
import { MISSING } from '../core/reads.js'
import { type FlipCacheError, LockLostError } from '../errors.js'
import { type Locks, letGo } from '../lock/locks.js'
import type { LockLoss } from '../lock/redis-lock.js'
import { tellLock } from '../observe/events.js'
import type { LockHooks } from './batch-port.js'
import type { LoadMode, LockOutcome } from './load-modes.js'
import type { ResolvedLock } from './load-options.js'
import { LATE, type RedisBudget } from './redis-budget.js'

/** Polls for a holder's value at this pace at most (the notice normally comes first). */
const maxPollMs = 1000

/** What taking a lock or waiting for its holder needs of the read-through that asks. */
export interface LockWaitPort<V> {
  readonly locks: Locks
  /** The cache's name, for the lock events. */
  readonly name: string
  /** Whether the cache is closing, and the error that says so (thrown by `throwIfClosing`). */
  closing(): boolean
  closed(): FlipCacheError
  throwIfClosing(): void
  /** A lock vanished under its holder. */
  lockLost(error: LockLostError): void
  /** The value in Redis if it is fresh until after `newerThan` (and now), else `MISSING`. */
  readFresh(encoded: string, newerThan: number): Promise<V | typeof MISSING>
}

/**
 * Takes the lock; or, while another process holds it, waits for its notice (polling slowly in
 * case one is missed) and takes its value; a background load does not wait. Past the lock's
 * `wait`, or when Redis cannot lock, it loads without the lock rather than hang. getOrSetMany's
 * `hooks` hear each time it starts waiting for the holder, and read under the lock for it.
 */
export async function lockOrWait<V>(
  port: LockWaitPort<V>,
  encoded: string,
  settings: ResolvedLock,
  mode: LoadMode,
  budget: RedisBudget,
  hooks?: LockHooks<V>,
): Promise<LockOutcome<V>> {
  const { locks } = port
  const lockKey = locks.keyOf(encoded)
  const deadline = clock.now() + settings.waitMs
  const pollMs = Math.max(25, Math.min(maxPollMs, Math.floor(settings.ttlMs / 4)))
  // Listen before the first attempt, so that a holder's notice cannot slip between attempt and wait.
  const watch = mode.waitForHolder ? await locks.watch(encoded) : undefined
  try {
    // The first attempt comes out of the call's time for Redis; later ones follow a wait for
    // another holder, which the lock's `wait` bounds.
    let spend = <T>(work: Promise<T>): Promise<T | typeof LATE> => budget.spend(work)
    for (;;) {
      // The cache is closing: a waiter stops waiting (close() woke it), and no lock is taken.
      port.throwIfClosing()
      const onLost = (loss: LockLoss): void => {
        tellLock(port.name, encoded, 'lost')
        port.lockLost(new LockLostError(lockKey, loss))
      }
      const lock = hooks?.lock?.(lockKey, onLost) ?? locks.lock(encoded, settings.ttlMs, onLost)
      const acquiring = lock.acquire()
      let acquired: boolean | typeof LATE
      try {
        acquired = await spend(acquiring)
      } catch {
        acquired = LATE
      }
      if (acquired === LATE) {
        // Redis cannot lock, or not in time: load without it (the in-process single-flight still
        // holds), and let go of the lock should Redis take it after all.
        letGo(locks, lock, acquiring, encoded)
        return { kind: 'unlocked', slow: true }
      }
      if (acquired && port.closing()) {
        letGo(locks, lock, acquiring, encoded)
        throw port.closed()
      }
      if (acquired) {
        // Another process may have stored the value between our read and the lock.
        const reading = hooks?.readUnderLock ?? port.readFresh
        const found = await spend(reading(encoded, mode.newerThan)).catch((): typeof MISSING => MISSING)
        if (found === MISSING || found === LATE) return { kind: 'locked', lock }
        lock.release().catch(() => {})
        return { kind: 'found', value: found }
      }
      if (watch === undefined) return { kind: 'busy' }
      spend = (work) => work
      const remaining = deadline - clock.now()
      if (remaining <= 0) return { kind: 'unlocked', slow: false }
      hooks?.waiting()
      await watch.next(Math.min(remaining, pollMs))
      port.throwIfClosing()
      const found = await port.readFresh(encoded, mode.newerThan).catch((): typeof MISSING => MISSING)
      if (found !== MISSING) return { kind: 'found', value: found }
    }
  } finally {
    watch?.stop()
  }
}
