import type { EventEmitter } from 'node:events'
import { type FlipCacheError, RedisUnavailableError } from './errors.js'
import type { RedisClient } from './redis/connection.js'

/**
 * Where failures that no caller awaits go: the cache's 'error' event; with no listener, one process
 * warning per code (never an unhandled 'error' event, which would crash the process).
 */
export class ErrorReporter {
  readonly #emitter: EventEmitter
  readonly #cacheName: string
  readonly #counted: () => void
  readonly #warnedCodes = new Set<string>()
  readonly #kind: string

  /** `kind` names the emitter's class in warnings (`FlipCache`, `RateLimiter`). */
  constructor(emitter: EventEmitter, cacheName: string, counted: () => void, kind = 'FlipCache') {
    this.#emitter = emitter
    this.#cacheName = cacheName
    this.#counted = counted
    this.#kind = kind
  }

  report(error: FlipCacheError): void {
    this.#counted()
    // Whether anyone listens is asked as the event goes out, not now: a listener added with once()
    // may be gone by then, and an 'error' event that nobody hears throws (and crashes the process).
    queueMicrotask(() => {
      if (this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', error)
      else this.#warn(error)
    })
  }

  #warn(error: FlipCacheError): void {
    if (this.#warnedCodes.has(error.code)) return
    this.#warnedCodes.add(error.code)
    process.emitWarning(error.message, {
      type: 'FlipCacheWarning',
      code: error.code,
      detail: `Listen to the 'error' event of ${this.#kind} \`${this.#cacheName}\` to see every such failure.`,
    })
  }

  /** A client flipcache opened reports its connection errors here, once per outage, until `closed()`. */
  watchOwnedClient(client: RedisClient, closed: () => boolean): void {
    let reported = false
    client.on('error', (error: Error) => {
      if (reported || closed()) return
      reported = true
      this.report(new RedisUnavailableError(`Redis connection error: ${error.message}`, { cause: error }))
    })
    client.on('ready', () => {
      reported = false
    })
  }
}

/**
 * Emits on a microtask of its own: a listener that throws then fails like any throwing listener,
 * instead of breaking the flipcache code that was reporting (a read left unsettled, say). Not for
 * 'error', whose listeners are counted as it goes out (`ErrorReporter.report`).
 */
export function emitApart(emitter: EventEmitter, event: string, payload: unknown): void {
  queueMicrotask(() => emitter.emit(event, payload))
}
