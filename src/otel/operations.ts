import { AsyncLocalStorage } from 'node:async_hooks'
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
import type { OperationContext } from '../observe/channels.js'
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

/** An operation's context, with what the instrumentation noted on it. */
export interface TracedContext extends OperationContext {
  [startedAt]?: number
  [openSpan]?: Span
  [parentContext]?: Context
  [finished]?: boolean
}

/**
 * Follows the operations' TracingChannels. A span is made only for an operation that went further
 * than L1 (which the context's `tier` / `tiers` tell at its end) or failed, so it is started after
 * the fact with the time noted at `start`; a loader or a lock inside getOrSet opens it early, to
 * parent the loader's span. Every read also tallies its hits and misses.
 */
export class OperationTracker {
  /** The operation running here, for the operations that can run a loader (bound to their `start`). */
  readonly store = new AsyncLocalStorage<TracedContext>()
  readonly reads = new ReadTally()
  readonly #attributes = new AttributeSets()
  readonly #tracer: Tracer
  readonly #instruments: Instruments
  readonly #recordKeys: boolean

  constructor(tracer: Tracer, instruments: Instruments, recordKeys: boolean) {
    this.#tracer = tracer
    this.#instruments = instruments
    this.#recordKeys = recordKeys
  }

  /** `start` (or the store's transform): notes the time. */
  readonly begin = (message: unknown): TracedContext => {
    const operation = message as TracedContext
    operation[startedAt] = performance.now()
    return operation
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

  /** The operation running in this async context (getOrSet, getOrSetMany), if still running. */
  running(): TracedContext | undefined {
    const operation = this.store.getStore()
    return operation === undefined || operation[finished] === true ? undefined : operation
  }

  /**
   * The context a loader's span belongs in: under the span of the getOrSet that runs it (opened now
   * if need be); a background refresh that outlived an L1-hit getOrSet goes under that call's parent.
   */
  loaderParent(): Context {
    const operation = this.store.getStore()
    if (operation === undefined) return context.active()
    if (operation[finished] === true && operation[openSpan] === undefined)
      return operation[parentContext] ?? context.active()
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
