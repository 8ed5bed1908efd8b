import { type Attributes, type Span, SpanKind, type Tracer } from '@opentelemetry/api'
import type { LoadContext } from '../observe/channels.js'
import { CACHE, ERROR_TYPE, errorType, KEY, KEY_COUNT, LOAD_BACKGROUND } from './attributes.js'
import { AttributeSets, type Instruments } from './instruments.js'
import type { OperationTracker } from './operations.js'
import { failSpan } from './operations.js'
import { toHrTime } from './time.js'

interface PendingLoad {
  readonly span: Span
  readonly startMs: number
}

/** Follows `flipcache:load`: a span per loader run, under its getOrSet's span, and the load metrics. */
export class LoadTracker {
  readonly #pending = new WeakMap<LoadContext, PendingLoad>()
  readonly #attributes = new AttributeSets()
  readonly #tracer: Tracer
  readonly #instruments: Instruments
  readonly #operations: OperationTracker
  readonly #recordKeys: boolean

  constructor(tracer: Tracer, instruments: Instruments, operations: OperationTracker, recordKeys: boolean) {
    this.#tracer = tracer
    this.#instruments = instruments
    this.#operations = operations
    this.#recordKeys = recordKeys
  }

  readonly start = (message: unknown): void => {
    const load = message as LoadContext
    const startMs = performance.now()
    const attributes: Attributes = {
      [CACHE]: load.cache,
      [KEY_COUNT]: load.keyCount,
      [LOAD_BACKGROUND]: load.background,
    }
    if (this.#recordKeys) attributes[KEY] = load.key
    const span = this.#tracer.startSpan(
      'flipcache load',
      { kind: SpanKind.INTERNAL, startTime: toHrTime(startMs), attributes },
      this.#operations.loaderParent(load),
    )
    this.#pending.set(load, { span, startMs })
  }

  /** As for operations: a synchronous end carries `result` or `error`; a promise's end is `asyncEnd`. */
  readonly end = (message: unknown): void => {
    const load = message as LoadContext
    if ('result' in load || 'error' in load) this.#finish(load)
  }

  readonly asyncEnd = (message: unknown): void => {
    this.#finish(message as LoadContext)
  }

  #finish(load: LoadContext): void {
    const pending = this.#pending.get(load)
    if (pending === undefined) return
    this.#pending.delete(load)
    const endMs = performance.now()
    const type = load.error === undefined ? undefined : errorType(load.error)
    const attributes = this.#attributes.get(`${load.cache}\0${load.background}\0${type ?? ''}`, () => ({
      [CACHE]: load.cache,
      [LOAD_BACKGROUND]: load.background,
      ...(type === undefined ? {} : { [ERROR_TYPE]: type }),
    }))
    this.#instruments.loads.add(1, attributes)
    this.#instruments.loadDuration.record((endMs - pending.startMs) / 1000, attributes)
    if (type !== undefined) failSpan(pending.span, load.error, type)
    pending.span.end(toHrTime(endMs))
  }
}
