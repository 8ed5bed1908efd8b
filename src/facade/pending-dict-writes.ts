import { DictWriteError, type FlipCacheError } from '../errors.js'

/** A change made through the dict view that Redis has not acknowledged yet: a write of `value`, or a delete. */
export type PendingChange<V> = { readonly deleted: false; readonly value: V } | { readonly deleted: true }

/**
 * The dict view's writes and deletes on their way to Redis: the latest change of each key (which
 * the view's reads and `in` answer until it settles, so that a write is visible at once to the
 * view), every change not yet settled (which `settled()` waits for), and the failures that no
 * `settled()` has reported yet. Each failure is also reported at once (the cache's 'error' event).
 */
export class PendingDictWrites<V> {
  readonly #cacheName: string
  readonly #report: (error: FlipCacheError) => void
  /** The latest change of each encoded key, while it is on its way. */
  readonly #latest = new Map<string, PendingChange<V>>()
  /** Every change on its way, as a promise that never rejects. */
  readonly #running = new Set<Promise<void>>()
  #failures: DictWriteError[] = []

  constructor(cacheName: string, report: (error: FlipCacheError) => void) {
    this.#cacheName = cacheName
    this.#report = report
  }

  /** How many changes are on their way. */
  get size(): number {
    return this.#running.size
  }

  /** The latest change of `encoded` still on its way, if any. */
  latest(encoded: string): PendingChange<V> | undefined {
    return this.#latest.get(encoded)
  }

  /**
   * Follows `sending`, the write or delete of `encoded` that the cache started: until it settles the
   * key reads as `change` (unless a later change of it came); a failure is reported, never thrown.
   */
  track(encoded: string, change: PendingChange<V>, sending: Promise<unknown>): void {
    this.#latest.set(encoded, change)
    const settled: Promise<void> = sending.then(
      (): void => this.#settle(encoded, change, settled),
      (error: unknown): void => {
        this.#settle(encoded, change, settled)
        const failure = new DictWriteError(this.#cacheName, encoded, change.deleted ? 'delete' : 'set', {
          cause: error,
        })
        this.#failures.push(failure)
        this.#report(failure)
      },
    )
    this.#running.add(settled)
  }

  /**
   * Resolves once every change on its way now has settled; rejects with an `AggregateError` of the
   * `DictWriteError`s of every change that failed since the last call (each failure is in one).
   */
  async settled(): Promise<void> {
    await this.drained()
    if (this.#failures.length === 0) return
    const failures = this.#failures
    this.#failures = []
    const keys = failures.map((failure) => failure.key)
    const shown = keys.length > 5 ? `${keys.slice(0, 5).join(', ')}, ...` : keys.join(', ')
    throw new AggregateError(
      failures,
      `${failures.length} background write(s) of FlipCache \`${this.#cacheName}\`'s dict view failed (keys ${shown}); each error's \`cause\` says why`,
    )
  }

  /** Resolves once every change on its way now has settled (never rejects; failures stay for `settled()`). */
  async drained(): Promise<void> {
    await Promise.all(this.#running)
  }

  /** The change left: the cache's own L1 (or its absence) answers for the key from now on. */
  #settle(encoded: string, change: PendingChange<V>, settled: Promise<void>): void {
    if (this.#latest.get(encoded) === change) this.#latest.delete(encoded)
    this.#running.delete(settled)
  }
}
