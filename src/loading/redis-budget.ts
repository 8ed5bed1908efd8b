import * as clock from '../clock.js'
import { within } from '../within.js'

/** What `RedisBudget.spend` answers for work that did not finish within what was left. */
export const LATE: unique symbol = Symbol('flipcache.late')

/**
 * What is left of one getOrSet call's time for Redis: its cache's `timeout` in all, however many
 * round trips the call makes (the read, the lock, the read under the lock, the store), so that a
 * Redis that stalls costs the caller one `timeout`, not one per round trip. The loader's own time,
 * and a wait for another process's lock holder (bounded by the lock's `wait`), are not counted.
 */
export class RedisBudget {
  /** What was left when no work was on its way (see `#inFlight`). */
  #leftMs: number
  /** Works on their way now: they share the wall-clock time (a batch's keys wait concurrently). */
  #inFlight = 0
  /** When the first of the works on their way now began. */
  #since = 0

  constructor(ms: number) {
    this.#leftMs = ms
  }

  /** For a load no caller waits for (a refresh in the background): its round trips take what they take. */
  static unbounded(): RedisBudget {
    return new RedisBudget(Number.POSITIVE_INFINITY)
  }

  /**
   * `work`'s outcome if it comes within what is left, else `LATE` (the work goes on; what it does
   * later is the caller's to handle). The time waited is spent; works waited for at the same time
   * (getOrSetMany's keys) spend it once, not once each.
   */
  async spend<T>(work: Promise<T>): Promise<T | typeof LATE> {
    if (this.#leftMs === Number.POSITIVE_INFINITY) return work
    const now = clock.now()
    const leftMs = this.#inFlight > 0 ? this.#leftMs - (now - this.#since) : this.#leftMs
    if (leftMs <= 0) return LATE
    if (this.#inFlight === 0) this.#since = now
    this.#inFlight++
    try {
      return await within<T | typeof LATE>(work, leftMs, () => LATE)
    } finally {
      this.#inFlight--
      if (this.#inFlight === 0) this.#leftMs -= clock.now() - this.#since
    }
  }
}
