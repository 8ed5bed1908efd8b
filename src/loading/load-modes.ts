import type { HeldLock } from '../lock/redis-lock.js'
import { within } from '../within.js'

/**
 * How a load treats the lock: whether to wait for another holder's value (else leave the work to
 * it), and how fresh a value found in Redis must be to make the load needless.
 */
export interface LoadMode {
  waitForHolder: boolean
  /** A value fresh until after this instant (and now) ends the load. */
  newerThan: number
  /** The read just failed: no lock (Redis cannot take one), and the store goes on in the background. */
  redisDown?: boolean
}

/** A caller waits for the value (a miss, or a stale value with a soft timeout). */
export const foreground: LoadMode = { waitForHolder: true, newerThan: 0 }
/** Nobody waits (a stale value is served at once): another holder's work is left to it. */
export const background: LoadMode = { waitForHolder: false, newerThan: 0 }
/** Redis failed the read: the loader answers, without a lock. */
export const withoutRedis: LoadMode = { waitForHolder: false, newerThan: 0, redisDown: true }

/** What taking (or waiting for) a key's lock came to. */
export type LockOutcome<V> =
  | { kind: 'locked'; lock: HeldLock }
  | { kind: 'found'; value: V }
  | { kind: 'busy' }
  /** Past the lock's wait (`slow: false`), or Redis did not answer the lock in time (`slow: true`). */
  | { kind: 'unlocked'; slow: boolean }

/** The fresh value if it comes within `softTimeoutMs`, else (or if loading fails) the stale one. */
export function preferFresh<V>(loading: Promise<V>, stale: V, softTimeoutMs: number): Promise<V> {
  const settled = loading.catch(() => stale)
  return softTimeoutMs === 0 ? Promise.resolve(stale) : within(settled, softTimeoutMs, () => stale)
}

/**
 * `served` (the load, or the stale value within grace), telling `seen` when the stale value was
 * served: the load had not settled with a value by then (it failed, or is still running).
 */
export function servedStale<V>(
  loading: Promise<V>,
  served: Promise<V>,
  seen: { stale?: boolean },
): Promise<V> {
  let loaded = false
  // Registered after preferFresh's own reaction: it runs first, before `served` can settle.
  loading.then(
    () => {
      loaded = true
    },
    () => {},
  )
  return served.then((value) => {
    if (!loaded) seen.stale = true
    return value
  })
}
