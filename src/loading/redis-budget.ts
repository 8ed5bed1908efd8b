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
  #leftMs: number

  constructor(ms: number) {
    this.#leftMs = ms
  }

  /** For a load no caller waits for (a refresh in the background): its round trips take what they take. */
  static unbounded(): RedisBudget {
    return new RedisBudget(Number.POSITIVE_INFINITY)
  }

  /**
   * `work`'s outcome if it comes within what is left, else `LATE` (the work goes on; what it does
   * later is the caller's to handle). The time waited is spent.
   */
  async spend<T>(work: Promise<T>): Promise<T | typeof LATE> {
    if (this.#leftMs === Number.POSITIVE_INFINITY) return work
    if (this.#leftMs <= 0) return LATE
    const startedAt = clock.now()
    try {
      return await within<T | typeof LATE>(work, this.#leftMs, () => LATE)
    } finally {
      this.#leftMs -= clock.now() - startedAt
    }
  }
}
