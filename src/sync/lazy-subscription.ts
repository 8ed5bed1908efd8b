/**
 * A subscription made when first needed: a failed attempt is forgotten, so the next need tries
 * again; once closed, a subscription that was still on its way is stopped as soon as it lands.
 */
export class LazySubscription {
  readonly #subscribe: () => Promise<() => void>
  #listening: Promise<(() => void) | undefined> | undefined
  #closed = false
  /** Why the last attempt failed, if it did. */
  lastError: unknown

  /** `subscribe` resolves to the function that stops listening. */
  constructor(subscribe: () => Promise<() => void>) {
    this.#subscribe = subscribe
  }

  /** Subscribes unless it is done or under way; resolves to whether the subscription holds. */
  ensure(): Promise<boolean> {
    this.#listening ??= this.#subscribe().then(
      (stop) => {
        this.lastError = undefined
        if (this.#closed) stop()
        return stop
      },
      (error: unknown) => {
        this.lastError = error
        this.#listening = undefined
        return undefined
      },
    )
    return this.#listening.then((stop) => stop !== undefined)
  }

  async close(): Promise<void> {
    this.#closed = true
    const stop = await this.#listening
    stop?.()
  }
}
