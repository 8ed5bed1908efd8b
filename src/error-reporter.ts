import type { EventEmitter } from 'node:events'
import { type ErrorContext, type FlipCacheError, RedisUnavailableError, withContext } from './errors.js'
import { errorChannel } from './observe/channels.js'
import type { RedisClient } from './redis/connection.js'
import { serverOf } from './redis/server-name.js'

/** What a report hands the `logger` option, pino style: `logger.error(fields, message)`. */
export interface ErrorLogFields {
  /** The reported error (with its context; pino's `err` serializer prints its stack and fields). */
  readonly err: FlipCacheError
  readonly code: string
  /** The name of the cache (or counter, rate limiter, ...) that reports. */
  readonly cache: string
  readonly operation?: string
  readonly key?: string
  readonly keyCount?: number
  readonly server?: string
  /** How many more failures of this code the report stands for (0 for the first of a burst). */
  readonly repeats: number
}

/** A log method as pino, bunyan and `console` have one: called as `(fields, message)`. */
export type LogMethod = (fields: ErrorLogFields, message: string) => unknown

/**
 * The `logger` option: where reports go instead of process warnings. `error` takes failures, `warn`
 * the degraded-but-served ones (a stale value served because the loader failed), `debug` (when
 * present) hears that failures of a code stopped. `console` and a pino logger fit as they are.
 */
export interface FlipCacheLogger {
  error: LogMethod
  warn: LogMethod
  debug?: (fields: { readonly code: string; readonly cache: string }, message: string) => unknown
}

/** How serious a report is: `warn` when the caller was still served what it asked for. */
export type ReportLevel = 'error' | 'warn'

/** Where a report happened, and its level (`error` unless told). */
export interface ReportContext extends ErrorContext {
  readonly level?: ReportLevel
}

/** How long failures of one code are coalesced into one report, in ms. */
export const coalesceWindowMs = 1_000

/**
 * Codes whose failures are told apart by key: each undecodable key is news of its own (data to
 * fix), and so is each dict-view write that was lost (its key holds neither value for sure), while
 * an outage fails every key alike. Up to {@link maxKeyedBursts} keys a code at a time; past that,
 * the code's other keys share one burst (a scan over many bad keys stays readable).
 */
const keyedCodes: ReadonlySet<string> = new Set(['E_DECODE', 'E_DICT_WRITE'])
const maxKeyedBursts = 20

export interface ErrorReporterOptions {
  /** Hears 'error' (and is the `cache` of diagnostics-channel payloads' emitter). */
  readonly emitter: EventEmitter
  readonly name: string
  /** Names the emitter's class in warnings (`FlipCache`, `RateLimiter`). */
  readonly kind?: string
  /** Counts every failure reported (coalesced or not): `stats().errors`. */
  readonly counted?: () => void
  readonly logger?: FlipCacheLogger | undefined
  /** The server reports name when the error does not (the client's `host:port`), looked up per report. */
  readonly server?: () => string | undefined
}

/** The reports of one code within the current window. */
interface Burst {
  /** Failures since the last delivered report. */
  held: number
  /** The latest of them, delivered (with the count) when the window ends. */
  latest: { error: FlipCacheError; context: ReportContext } | undefined
  timer: NodeJS.Timeout
}

/**
 * Where failures that no caller awaits go: the `logger` when given, the 'error' event when it has
 * listeners, else a process warning (never an unhandled 'error' event, which would crash the
 * process); and the `flipcache:error` diagnostics channel when it has subscribers. Each report
 * names the operation, the key (or key count) and the server. Failures of one code are coalesced:
 * the first is reported at once, the next ones within 1 s are counted and reported as one at the
 * window's end (`repeats`); a code quiet for a whole window is reported at once again. `E_DECODE`
 * is coalesced per key (up to 20 keys at a time), each bad key being news of its own.
 */
export class ErrorReporter {
  readonly #emitter: EventEmitter
  readonly #cacheName: string
  readonly #counted: () => void
  readonly #kind: string
  readonly #logger: FlipCacheLogger | undefined
  readonly #server: () => string | undefined
  /** The open bursts, by code (or code and key, for keyed codes). */
  readonly #bursts = new Map<string, Burst>()
  /** How many keyed bursts each keyed code has open. */
  readonly #keyed = new Map<string, number>()
  /** Past close(): a late failure (a background store settling) is delivered at once, with no timer. */
  #closed = false

  constructor(options: ErrorReporterOptions) {
    this.#emitter = options.emitter
    this.#cacheName = options.name
    this.#counted = options.counted ?? (() => {})
    this.#kind = options.kind ?? 'FlipCache'
    this.#logger = options.logger
    this.#server = options.server ?? (() => undefined)
  }

  report(error: FlipCacheError, context: ReportContext = {}): void {
    this.#counted()
    if (this.#closed) {
      this.#deliver(error, context, 0)
      return
    }
    const group = this.#groupOf(error, context)
    const burst = this.#bursts.get(group)
    if (burst !== undefined) {
      burst.held++
      burst.latest = { error, context }
      return
    }
    if (group !== error.code) this.#keyed.set(error.code, (this.#keyed.get(error.code) ?? 0) + 1)
    this.#bursts.set(group, this.#burst(group, error.code))
    this.#deliver(error, context, 0)
  }

  /** Which burst a failure joins: its code's, or for a keyed code its key's while there are few. */
  #groupOf(error: FlipCacheError, context: ReportContext): string {
    const key = error.key ?? context.key
    if (!keyedCodes.has(error.code) || key === undefined) return error.code
    const group = `${error.code} ${key}`
    if (this.#bursts.has(group) || (this.#keyed.get(error.code) ?? 0) < maxKeyedBursts) return group
    return error.code
  }

  /** Delivers what the windows still hold and stops their timers (the owner closes). */
  close(): void {
    this.#closed = true
    this.#keyed.clear()
    for (const [group, burst] of this.#bursts) {
      clearTimeout(burst.timer)
      this.#bursts.delete(group)
      if (burst.latest !== undefined) this.#deliver(burst.latest.error, burst.latest.context, burst.held - 1)
    }
  }

  #burst(group: string, code: string): Burst {
    const timer = setTimeout(() => this.#windowEnded(group, code), coalesceWindowMs)
    timer.unref()
    return { held: 0, latest: undefined, timer }
  }

  /** The window ends: its held failures go out as one report and a new window opens; a quiet one ends the burst. */
  #windowEnded(group: string, code: string): void {
    const burst = this.#bursts.get(group)
    if (burst === undefined) return
    if (burst.latest === undefined) {
      this.#bursts.delete(group)
      if (group !== code) this.#keyed.set(code, (this.#keyed.get(code) ?? 1) - 1)
      try {
        this.#logger?.debug?.(
          { code, cache: this.#cacheName },
          `${this.#kind} \`${this.#cacheName}\`: no ${group} failure for ${coalesceWindowMs} ms`,
        )
      } catch {
        // As #log: a logger that throws is ignored.
      }
      return
    }
    const { error, context } = burst.latest
    const repeats = burst.held - 1
    this.#bursts.set(group, this.#burst(group, code))
    this.#deliver(error, context, repeats)
  }

  #deliver(error: FlipCacheError, context: ReportContext, repeats: number): void {
    const reported = withContext(error, { ...context, server: context.server ?? this.#server() }, repeats)
    if (errorChannel.hasSubscribers) errorChannel.publish({ cache: this.#cacheName, error: reported })
    if (this.#logger !== undefined) this.#log(reported, context.level ?? 'error', repeats)
    // Whether anyone listens is asked as the event goes out, not now: a listener added with once()
    // may be gone by then, and an 'error' event that nobody hears throws (and crashes the process).
    queueMicrotask(() => {
      if (this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', reported)
      else if (this.#logger === undefined) this.#warn(reported)
    })
  }

  #log(error: FlipCacheError, level: ReportLevel, repeats: number): void {
    const fields: ErrorLogFields = {
      err: error,
      code: error.code,
      cache: this.#cacheName,
      operation: error.operation,
      key: error.key,
      keyCount: error.keyCount,
      server: error.server,
      repeats,
    }
    const message = `${this.#kind} \`${this.#cacheName}\`: ${error.message}`
    try {
      if (level === 'warn') this.#logger?.warn(fields, message)
      else this.#logger?.error(fields, message)
    } catch {
      // A logger that throws must not break the flipcache code that was reporting.
    }
  }

  #warn(error: FlipCacheError): void {
    process.emitWarning(`${this.#kind} \`${this.#cacheName}\`: ${error.message}`, {
      type: 'FlipCacheWarning',
      code: error.code,
      detail: `Listen to the 'error' event of ${this.#kind} \`${this.#cacheName}\`, or give it a \`logger\`, to handle such failures; failures of one code are reported at most once a second.`,
    })
  }

  /** A client flipcache opened reports its connection errors here, once per outage, until `closed()`. */
  watchOwnedClient(client: RedisClient, closed: () => boolean): void {
    let reported = false
    client.on('error', (error: Error) => {
      if (reported || closed()) return
      reported = true
      this.report(new RedisUnavailableError(`Redis connection error: ${error.message}`, { cause: error }), {
        operation: 'connect',
        server: serverOf(client),
      })
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
