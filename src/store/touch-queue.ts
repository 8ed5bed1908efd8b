import type { Store } from './store.js'

/** What became of a flush of touches: keys Redis no longer had, or the keys of a flush that failed. */
export type TouchOutcome = { gone: string[] } | { failed: string[]; error: Error }

/**
 * Sliding expiry for L1 hits: keys read from L1 are collected for `delayMs` and their Redis expiry
 * is pushed back with one pipeline of `PEXPIRE`. The caller decides how often a key is touched.
 */
export class TouchQueue {
  readonly #store: Store
  readonly #ttlMs: number
  readonly #delayMs: number
  readonly #onOutcome: (outcome: TouchOutcome) => void
  #pending = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor(store: Store, ttlMs: number, delayMs: number, onOutcome: (outcome: TouchOutcome) => void) {
    this.#store = store
    this.#ttlMs = ttlMs
    this.#delayMs = delayMs
    this.#onOutcome = onOutcome
  }

  add(key: string): void {
    this.#pending.add(key)
    // unref: a pending touch alone must not keep the process alive.
    this.#timer ??= setTimeout(() => this.flush(), this.#delayMs).unref()
  }

  /** Sends the pending touches now; resolves when Redis has answered (never rejects). */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#pending.size === 0) return this.#flushing
    const keys = [...this.#pending]
    this.#pending = new Set()
    this.#flushing = this.#store.touch(keys, this.#ttlMs).then(
      (existed) => this.#onOutcome({ gone: keys.filter((_, index) => !existed[index]) }),
      (error: Error) => this.#onOutcome({ failed: keys, error }),
    )
    return this.#flushing
  }
}
