import { type LoadContext, loadChannel } from '../observe/channels.js'
import type { LoadDecisions, LoaderDecisionMethods } from './load-decisions.js'

/**
 * What a loader is given: the key, the stale value, an abort signal, and its say over what becomes
 * of the value (`setTtl`, `skip`, `fail`; they may be destructured).
 */
export interface LoaderContext<K, V> extends LoaderDecisionMethods {
  /** The key being loaded. */
  key: K
  /** The stale value the cache still holds within its grace period, if any. */
  stale: V | undefined
  /** Fires when the call passes its `hardTimeout` (`E_LOADER_TIMEOUT`) or the cache closes (`E_CLOSED`). */
  signal: AbortSignal
}

export type Loader<K, V> = (context: LoaderContext<K, V>) => Promise<V> | V

/** The loader calls of one cache that are running now, each stoppable through its signal. */
export class RunningLoaders {
  readonly #controllers = new Set<AbortController>()

  /**
   * The loader's value; or, once its signal aborts (past `hardTimeoutMs`, with `timedOut()`; or by
   * `abortAll`), that reason at once. A loader that finishes anyway is ignored: its caller stores
   * nothing, since by then a newer value may have been written (another load may even have started
   * meanwhile), and a late store would overwrite it. Once the call settles, `decisions` are closed.
   */
  call<K, V>(
    loader: Loader<K, V>,
    key: K,
    stale: V | undefined,
    hardTimeoutMs: number | undefined,
    timedOut: () => Error,
    decisions: LoadDecisions,
    traceAs?: () => LoadContext,
  ): Promise<V> {
    const started = (signal: AbortSignal): Promise<V> | V =>
      loader({
        key,
        stale,
        signal,
        setTtl: (expireTime, options) => decisions.setTtl(expireTime, options),
        skip: () => decisions.skip(),
        addTags: (tags) => decisions.addTags(tags),
        fail: (error) => decisions.fail(error),
      })
    return this.run(started, hardTimeoutMs, timedOut, traceAs).finally(() => decisions.close())
  }

  /**
   * As `call`, for a loader of another shape (getOrSetMany's batch loader): `start` calls it with
   * the signal, which aborts past `hardTimeoutMs` (with `timedOut()`) or by `abortAll`. Traced on
   * `flipcache:load` with `traceAs()`'s context when anyone listens.
   */
  run<T>(
    start: (signal: AbortSignal) => Promise<T> | T,
    hardTimeoutMs: number | undefined,
    timedOut: () => Error,
    traceAs?: () => LoadContext,
  ): Promise<T> {
    if (traceAs !== undefined && loadChannel.hasSubscribers) {
      return loadChannel.tracePromise(() => this.#run(start, hardTimeoutMs, timedOut), traceAs())
    }
    return this.#run(start, hardTimeoutMs, timedOut)
  }

  #run<T>(
    start: (signal: AbortSignal) => Promise<T> | T,
    hardTimeoutMs: number | undefined,
    timedOut: () => Error,
  ): Promise<T> {
    const controller = new AbortController()
    const { signal } = controller
    const loading = Promise.resolve().then(() => start(signal))
    const stopped = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })
    const timer =
      hardTimeoutMs === undefined ? undefined : setTimeout(() => controller.abort(timedOut()), hardTimeoutMs)
    this.#controllers.add(controller)
    return Promise.race([loading, stopped]).finally(() => {
      clearTimeout(timer)
      this.#controllers.delete(controller)
    })
  }

  /** Aborts every loader running now with `reason` (the cache closed). */
  abortAll(reason: Error): void {
    for (const controller of this.#controllers) controller.abort(reason)
  }
}
