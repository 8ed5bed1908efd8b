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
import type { OperationContext, Tier } from '../observe/channels.js'
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
import { toHrTime } from './time.js'

/** One traced operation between its `start` and its end; its span exists once it is known to be needed. */
export interface PendingOperation {
  readonly context: OperationContext
  readonly startMs: number
  /** The OpenTelemetry context active where the operation was called: its span's parent. */
  readonly parent: Context
  span: Span | undefined
  done: boolean
}

const tiers: readonly Tier[] = ['l1', 'l2', 'loader', 'miss']
const reads = new Set<string>(['get', 'getMany', 'getOrSet', 'getOrSetMany'])

/**
 * Follows the operations' TracingChannels. A span is made only for an operation that went further
 * than L1 (which the context's `tier` / `tiers` tell at its end) or failed, so it is started after
 * the fact with the time recorded at `start`; a loader or a lock inside getOrSet opens it early, to
 * parent the loader's span. Every read also counts its hits and misses.
 */
export class OperationTracker {
  /** The operation running here, for the operations that can run a loader (bound to their `start`). */
  readonly store = new AsyncLocalStorage<PendingOperation>()
  readonly #pending = new WeakMap<OperationContext, PendingOperation>()
  readonly #attributes = new AttributeSets()
  readonly #tracer: Tracer
  readonly #instruments: Instruments
  readonly #recordKeys: boolean

  constructor(tracer: Tracer, instruments: Instruments, recordKeys: boolean) {
    this.#tracer = tracer
    this.#instruments = instruments
    this.#recordKeys = recordKeys
  }

  /** `start` (or the store's transform): notes the time and the caller's context. */
  readonly begin = (message: unknown): PendingOperation => {
    const operation = message as OperationContext
    const pending: PendingOperation = {
      context: operation,
      startMs: performance.now(),
      parent: context.active(),
      span: undefined,
      done: false,
    }
    this.#pending.set(operation, pending)
    return pending
  }

  /**
   * `end`: a synchronous call (`traceSync`, or a `tracePromise` whose function threw) is over, as
   * its `result` or `error` is set by now; a promise's end comes with `asyncEnd`.
   */
  readonly end = (message: unknown): void => {
    const operation = message as OperationContext
    if ('result' in operation || 'error' in operation) this.#finish(operation)
  }

  readonly asyncEnd = (message: unknown): void => {
    this.#finish(message as OperationContext)
  }

  /** The operation running in this async context (getOrSet, getOrSetMany), if still running. */
  running(): PendingOperation | undefined {
    const pending = this.store.getStore()
    return pending === undefined || pending.done ? undefined : pending
  }

  /**
   * The context a loader's span belongs in: under the span of the getOrSet that runs it (opened now
   * if need be); a background refresh that outlived an L1-hit getOrSet goes under that call's parent.
   */
  loaderParent(): Context {
    const pending = this.store.getStore()
    if (pending === undefined) return context.active()
    if (pending.done && pending.span === undefined) return pending.parent
    return trace.setSpan(pending.parent, this.spanOf(pending))
  }

  /** The operation's span, started (at the operation's start time) if not yet. */
  spanOf(pending: PendingOperation): Span {
    if (pending.span !== undefined) return pending.span
    const { cache, operation, key, keyCount } = pending.context
    const attributes: Attributes = {
      [DB_SYSTEM_NAME]: REDIS,
      [DB_OPERATION_NAME]: operation,
      [CACHE]: cache,
    }
    if (this.#recordKeys && key !== undefined) attributes[KEY] = key
    if (keyCount !== undefined) attributes[KEY_COUNT] = keyCount
    pending.span = this.#tracer.startSpan(
      `flipcache ${operation}`,
      { kind: SpanKind.CLIENT, startTime: toHrTime(pending.startMs), attributes },
      pending.parent,
    )
    return pending.span
  }

  #finish(operation: OperationContext): void {
    const pending = this.#pending.get(operation)
    if (pending === undefined || pending.done) return
    pending.done = true
    this.#pending.delete(operation)
    const endMs = performance.now()
    if (reads.has(operation.operation)) this.#countReads(operation)
    const failed = operation.error !== undefined
    if (pending.span === undefined && !failed && !leftL1(operation)) return
    const type = failed ? errorType(operation.error) : undefined
    this.#instruments.operationDuration.record(
      (endMs - pending.startMs) / 1000,
      this.#attributes.get(`d\0${operation.cache}\0${operation.operation}\0${type ?? ''}`, () => ({
        [DB_SYSTEM_NAME]: REDIS,
        [DB_OPERATION_NAME]: operation.operation,
        [CACHE]: operation.cache,
        ...(type === undefined ? {} : { [ERROR_TYPE]: type }),
      })),
    )
    const span = this.spanOf(pending)
    if (operation.tier !== undefined) span.setAttribute(TIER, operation.tier)
    if (operation.tiers !== undefined)
      for (const tier of tiers) span.setAttribute(`${TIERS_PREFIX}${tier}`, operation.tiers[tier] ?? 0)
    if (operation.stale !== undefined) span.setAttribute(STALE, operation.stale)
    if (type !== undefined) failSpan(span, operation.error, type)
    span.end(toHrTime(endMs))
  }

  #countReads(operation: OperationContext): void {
    if (operation.tiers !== undefined) {
      for (const tier of tiers) {
        const count = operation.tiers[tier] ?? 0
        if (count > 0) this.#countRead(operation, tier, count)
      }
    } else if (operation.tier !== undefined) this.#countRead(operation, operation.tier, 1)
  }

  #countRead(operation: OperationContext, tier: Tier, count: number): void {
    const stale = operation.stale === true
    const hit = tier === 'l1' || tier === 'l2'
    const attributes = this.#attributes.get(
      `r\0${operation.cache}\0${operation.operation}\0${hit ? tier : ''}\0${stale}`,
      () => ({
        [CACHE]: operation.cache,
        [DB_OPERATION_NAME]: operation.operation,
        ...(hit ? { [TIER]: tier } : {}),
        ...(stale ? { [STALE]: true } : {}),
      }),
    )
    if (hit) this.#instruments.hits.add(count, attributes)
    else this.#instruments.misses.add(count, attributes)
  }
}

/** Whether the operation went further than L1: anything but a read L1 answered whole. */
function leftL1(operation: OperationContext): boolean {
  if (operation.tiers !== undefined) {
    const { l2 = 0, loader = 0, miss = 0 } = operation.tiers
    return l2 + loader + miss > 0
  }
  if (!reads.has(operation.operation)) return true
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
