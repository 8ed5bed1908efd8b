import type { ReportContext } from '../error-reporter.js'
import { FlipCacheError, RedisUnavailableError } from '../errors.js'
import type { LocalEntry } from '../local/local-tier.js'
import type { Store } from '../store/store.js'
import { type TouchOutcome, TouchQueue } from '../store/touch-queue.js'
import type { CacheState } from './cache-state.js'

/** How often one key's sliding expiry may be touched, at most. */
const maxTouchIntervalMs = 1000

/**
 * `refreshExpireTimeOnGet` for L1 hits: a hit pushes the key's Redis expiry back with a `PEXPIRE`,
 * at most once per key per `min(1 s, expireTime / 2)`, collected for a few ms and sent in one
 * pipeline. (Reads that reach Redis use `GETEX ... PX`, which needs no touch.) A touch that finds
 * the key gone, or fails, drops the L1 copy, which would otherwise outlive its Redis key.
 */
export class SlidingExpiry<V> {
  readonly #state: CacheState<V>
  readonly #store: Store
  readonly #expireMs: number
  readonly #intervalMs: number
  readonly #queue: TouchQueue
  readonly #report: (error: FlipCacheError, context?: ReportContext) => void

  constructor(
    store: Store,
    state: CacheState<V>,
    expireMs: number,
    report: (error: FlipCacheError, context?: ReportContext) => void,
  ) {
    this.#state = state
    this.#store = store
    this.#expireMs = expireMs
    this.#intervalMs = Math.min(maxTouchIntervalMs, Math.floor(expireMs / 2))
    this.#report = report
    const delayMs = Math.max(1, Math.min(10, Math.floor(this.#intervalMs / 4)))
    this.#queue = new TouchQueue(store, expireMs, delayMs, (outcome) => this.#afterTouch(outcome))
  }

  /** An L1 hit on `key` at `now`: schedules a touch unless one was scheduled within the interval. */
  hit(key: string, entry: LocalEntry<V>, now: number): void {
    if (now - entry.touchedAt < this.#intervalMs) return
    this.#state.touched(entry, now, now + this.#expireMs)
    this.#queue.add(key)
  }

  /** Sends the touches still waiting; never rejects. */
  flush(): Promise<void> {
    return this.#queue.flush()
  }

  #afterTouch(outcome: TouchOutcome): void {
    if ('gone' in outcome) {
      this.#state.drop(outcome.gone)
      return
    }
    this.#state.drop(outcome.failed)
    const { error } = outcome
    this.#report(
      error instanceof FlipCacheError
        ? error
        : new RedisUnavailableError(`Sliding expiry touch failed: ${error.message}`, { cause: error }),
      outcome.failed.length === 1
        ? { operation: 'touch', key: this.#store.redisKey(outcome.failed[0] as string) }
        : { operation: 'touch', keyCount: outcome.failed.length },
    )
  }
}
