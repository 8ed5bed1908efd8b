import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import type { LoadContext, OperationContext } from '../observe/channels.js'
import {
  CACHE,
  DB_OPERATION_NAME,
  DB_SYSTEM_NAME,
  ERROR_TYPE,
  errorType,
  KEY,
  KEY_COUNT,
  REDIS,
  STALE,
  TIER,
  TIERS_PREFIX,
} from './attributes.js'
import { AttributeSets, type Instruments } from './instruments.js'
import { ReadTally, tiers } from './read-tally.js'
import { toHrTime } from './time.js'

// What the instrumentation notes on each operation's context object (the same object from `start`
// to the end, per the contract), under symbols of its own: no map to look it up in, no allocation
// for an L1 hit.
const startedAt = Symbol('flipcache.otel.startedAt')
const openSpan = Symbol('flipcache.otel.span')
const parentContext = Symbol('flipcache.otel.parent')
const finished = Symbol('flipcache.otel.finished')
const runningAs = Symbol('flipcache.otel.runningAs')

/** An operation's context, with what the instrumentation noted on it. */
export interface TracedContext extends OperationContext {
  [startedAt]?: number
  [openSpan]?: Span
  [parentContext]?: Context
  [finished]?: boolean
  /** Its key in the running getOrSet calls, while it is the one registered there. */
  [runningAs]?: string
}

/**
 * Follows the operations' TracingChannels. A span is made only for an operation that went further
 * than L1 (which the context's `tier` / `tiers` tell at its end) or failed, so it is started after
 * the fact with the time noted at `start`; a loader or a lock inside getOrSet opens it early, to
 * parent the loader's span. Every read also tallies its hits and misses.
 *
 * A load (and a lock) finds its getOrSet by cache and key among the calls running, not through an
 * AsyncLocalStorage: once run, one of those costs every await of the process its hook (about 2 us
 * per L1-hit get on Node 20, measured by `npm run bench -- --only otel`), where a map costs the
 * getOrSet calls alone.
 */
export class OperationTracker {
  readonly reads = new ReadTally()
  /** The getOrSet calls running, by cache and encoded key (the first of concurrent ones). */
  readonly #running = new Map<string, TracedContext>()
  /** The getOrSetMany calls running, by cache: a batch load goes under the call when it is the only one. */
  readonly #runningMany = new Map<string, Set<TracedContext>>()
  readonly #attributes = new AttributeSets()
  readonly #tracer: Tracer
  readonly #instruments: Instruments
  readonly #recordKeys: boolean

  constructor(tracer: Tracer, instruments: Instruments, recordKeys: boolean) {
    this.#tracer = tracer
    this.#instruments = instruments
    this.#recordKeys = recordKeys
  }

  /** `start`: notes the time, and registers the calls that can run a loader. */
  readonly begin = (message: unknown): void => {
    const operation = message as TracedContext
    operation[startedAt] = performance.now()
    if (operation.operation === 'getOrSet') {
      if (operation.key === undefined) return
      const running = `${operation.cache}\0${operation.key}`
      if (this.#running.has(running)) return
      this.#running.set(running, operation)
      operation[runningAs] = running
    } else if (operation.operation === 'getOrSetMany') {
      let calls = this.#runningMany.get(operation.cache)
      if (calls === undefined) {
        calls = new Set()
        this.#runningMany.set(operation.cache, calls)
      }
      calls.add(operation)
    }
  }

  /**
   * `end`: a synchronous call (`traceSync`, or a `tracePromise` whose function threw) is over, as
   * its `result` or `error` is set by now; a promise's end comes with `asyncEnd`.
   */
  readonly end = (message: unknown): void => {
    const operation = message as TracedContext
    if ('result' in operation || 'error' in operation) this.#finish(operation)
  }

  readonly asyncEnd = (message: unknown): void => {
    this.#finish(message as TracedContext)
  }

  /** The getOrSet running for `key` of `cache`, if any. */
  running(cache: string, key: string): TracedContext | undefined {
    return this.#running.get(`${cache}\0${key}`)
  }

  /**
   * The context a loader's span belongs in: under the span of the getOrSet (or the only getOrSetMany
   * of the cache) running it, opened now if need be; else (a background refresh that outlived its
   * call, concurrent getOrSetMany calls) the context active here, the caller's.
   */
  loaderParent(load: LoadContext): Context {
    let operation = load.keyCount === 1 ? this.running(load.cache, load.key) : undefined
    if (operation === undefined) {
      const calls = this.#runningMany.get(load.cache)
      if (calls?.size === 1) [operation] = calls
    }
    if (operation === undefined) return context.active()
    return trace.setSpan(operation[parentContext] ?? context.active(), this.spanOf(operation))
  }

  /**
   * The operation's span, started (at the operation's start time) if not yet, under the context
   * active now: inside the call, or in its promise's reactions, that is the caller's.
   */
  spanOf(operation: TracedContext): Span {
    const open = operation[openSpan]
    if (open !== undefined) return open
    const { cache, key, keyCount } = operation
    const attributes: Attributes = {
      [DB_SYSTEM_NAME]: REDIS,
      [DB_OPERATION_NAME]: operation.operation,
      [CACHE]: cache,
    }
    if (this.#recordKeys && key !== undefined) attributes[KEY] = key
    if (keyCount !== undefined) attributes[KEY_COUNT] = keyCount
    const parent = context.active()
    const span = this.#tracer.startSpan(
      `flipcache ${operation.operation}`,
      { kind: SpanKind.CLIENT, startTime: toHrTime(operation[startedAt] ?? performance.now()), attributes },
      parent,
    )
    operation[parentContext] = parent
    operation[openSpan] = span
    return span
  }

  #finish(operation: TracedContext): void {
    const startMs = operation[startedAt]
    if (startMs === undefined || operation[finished] === true) return
    operation[finished] = true
    const running = operation[runningAs]
    if (running !== undefined) this.#running.delete(running)
    else if (operation.operation === 'getOrSetMany') {
      const calls = this.#runningMany.get(operation.cache)
      calls?.delete(operation)
      if (calls?.size === 0) this.#runningMany.delete(operation.cache)
    }
    this.reads.count(operation)
    const failed = operation.error !== undefined
    if (operation[openSpan] === undefined && !failed && !leftL1(operation)) return
    const endMs = performance.now()
    const type = failed ? errorType(operation.error) : undefined
    this.#instruments.operationDuration.record(
      (endMs - startMs) / 1000,
      this.#attributes.get(`${operation.cache}\0${operation.operation}\0${type ?? ''}`, () => ({
        [DB_SYSTEM_NAME]: REDIS,
        [DB_OPERATION_NAME]: operation.operation,
        [CACHE]: operation.cache,
        ...(type === undefined ? {} : { [ERROR_TYPE]: type }),
      })),
    )
    const span = this.spanOf(operation)
    if (operation.tier !== undefined) span.setAttribute(TIER, operation.tier)
    if (operation.tiers !== undefined)
      for (const tier of tiers) span.setAttribute(`${TIERS_PREFIX}${tier}`, operation.tiers[tier] ?? 0)
    if (operation.stale !== undefined) span.setAttribute(STALE, operation.stale)
    if (type !== undefined) failSpan(span, operation.error, type)
    span.end(toHrTime(endMs))
  }
}

/** Whether the operation went further than L1: anything but a read L1 answered whole. */
function leftL1(operation: OperationContext): boolean {
  if (operation.tiers !== undefined) {
    const { l2 = 0, loader = 0, miss = 0 } = operation.tiers
    return l2 + loader + miss > 0
  }
  if (!ReadTally.isRead(operation.operation)) return true
  return operation.tier !== 'l1'
}

/** Marks `span` failed: status ERROR, `error.type`, and the exception as an event. */
export function failSpan(span: Span, error: unknown, type: string): void {
  span.setAttribute(ERROR_TYPE, type)
  if (error instanceof Error) {
    span.recordException(error)
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
  } else span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) })
}
