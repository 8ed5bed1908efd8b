import * as clock from '../clock.js'
import type { FlipCacheError } from '../errors.js'

/** The wait after the first failure of a key's loader; it doubles with each further failure. */
const firstWaitMs = 100
const longestWaitMs = 10_000
/** Keys with failures remembered at once; past it, the memory starts over. */
const rememberedKeys = 10_000

interface Failing {
  failures: number
  retryAt: number
  error: FlipCacheError
}

/**
 * Keeps a broken source from being hammered: after a key's loader fails, calls within the wait
 * (100 ms, doubling with each failure up to 10 s) get the last failure at once instead of calling
 * the loader again. A success forgets the key.
 */
export class FailureBackoff {
  #failing = new Map<string, Failing>()

  /** Throws the key's last failure while its wait lasts. */
  check(key: string): void {
    const failing = this.#failing.get(key)
    if (failing !== undefined && clock.now() < failing.retryAt) throw failing.error
  }

  failed(key: string, error: FlipCacheError): void {
    const failures = (this.#failing.get(key)?.failures ?? 0) + 1
    const waitMs = Math.min(longestWaitMs, firstWaitMs * 2 ** (failures - 1))
    if (this.#failing.size >= rememberedKeys) this.#failing = new Map()
    this.#failing.set(key, { failures, retryAt: clock.now() + waitMs, error })
  }

  succeeded(key: string): void {
    this.#failing.delete(key)
  }
}
