/**
 * The calls of one cache that are waiting for something (Redis, a load, a lock holder), so that
 * close() can settle them all at once: each gets the closing error, and whatever it was waiting for
 * is left to finish (or not) on its own, its outcome ignored. Nothing is added to a promise that
 * outlives the call: a call that settles leaves no trace here.
 */
export class PendingCalls {
  readonly #rejecters = new Set<(error: Error) => void>()
  #closedBy: Error | undefined

  /** How many calls wait now (for tests and diagnostics). */
  get size(): number {
    return this.#rejecters.size
  }

  /** `work`'s outcome, unless `closeAll` comes first: then its error, at once. */
  guard<T>(work: Promise<T>): Promise<T> {
    const closedBy = this.#closedBy
    if (closedBy !== undefined) {
      work.catch(() => {})
      return Promise.reject(closedBy)
    }
    return new Promise<T>((resolve, reject) => {
      this.#rejecters.add(reject)
      work.then(
        (value) => {
          this.#rejecters.delete(reject)
          resolve(value)
        },
        (error: unknown) => {
          this.#rejecters.delete(reject)
          reject(error)
        },
      )
    })
  }

  /** Every call waiting now, and any guarded later, rejects with `error`. */
  closeAll(error: Error): void {
    this.#closedBy = error
    const rejecters = [...this.#rejecters]
    this.#rejecters.clear()
    for (const reject of rejecters) reject(error)
  }

  /**
   * `items`, each step guarded: a step on its way when `closeAll` comes rejects at once. Stopped
   * early (break, an error, close()), `items` ends once its step on the way lands.
   */
  async *each<T>(items: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
    let done = false
    try {
      for (;;) {
        const step = await this.guard(items.next())
        if (step.done === true) {
          done = true
          return
        }
        yield step.value
      }
    } finally {
      if (!done) items.return().catch(() => {})
    }
  }
}
