import diagnostics from 'node:diagnostics_channel'
import { type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api'
import { channelNames, loadChannelName, operationChannelName, tracedOperations } from '../observe/channels.js'
import { SCOPE } from './attributes.js'
import { createInstruments } from './instruments.js'
import { LoadTracker } from './loads.js'
import { OperationTracker } from './operations.js'
import { type ObservedCache, Signals } from './signals.js'

export type { ObservedCache } from './signals.js'

export interface FlipCacheInstrumentationOptions {
  /**
   * Where the spans go.
   * @default the global provider (`trace.getTracerProvider()` of `@opentelemetry/api`)
   */
  tracerProvider?: TracerProvider
  /**
   * Where the metrics go.
   * @default the global provider (`metrics.getMeterProvider()` of `@opentelemetry/api`)
   */
  meterProvider?: MeterProvider
  /**
   * Put each key (as flipcache encodes it after the namespace) on the spans as `flipcache.key`.
   * Off by default: keys often hold user ids or e-mail addresses, and spans leave the process.
   * @default false
   */
  recordKeys?: boolean
  /**
   * Caches whose L1 size `flipcache.l1.size` reports (each by its name); more can be added later
   * with `observe`. They are held weakly: observing a cache never keeps it from being collected.
   * @default []
   */
  caches?: Iterable<ObservedCache>
}

export interface FlipCacheInstrumentation {
  /** Adds a cache to `flipcache.l1.size`. */
  observe(cache: ObservedCache): void
  /** Unsubscribes from every channel and stops the gauges; calling it again does nothing. */
  disable(): void
}

/** Set while an instrumentation is enabled, in whichever copy of this module (ESM or CommonJS) enabled it. */
const enabledFlag = Symbol.for('flipcache-redis.otel.enabled')
type FlagHolder = { [enabledFlag]?: boolean }

/**
 * Subscribes to flipcache's diagnostics channels and reports them to OpenTelemetry: spans for the
 * operations that reach Redis or a loader, and the metrics of docs/opentelemetry.md. Every FlipCache
 * of the process is covered, made before or after this call. One instrumentation at a time: a second
 * call before `disable()` throws (the channels are global; two would count everything twice).
 */
export function instrumentFlipCache(options: FlipCacheInstrumentationOptions = {}): FlipCacheInstrumentation {
  const { tracerProvider, meterProvider, recordKeys = false, caches = [] } = checkOptions(options)
  const holder = globalThis as FlagHolder
  if (holder[enabledFlag] === true)
    throw new Error(
      'flipcache-redis/otel: instrumentFlipCache() is already enabled in this process; call disable() on the instrumentation it returned before enabling another',
    )
  const tracer = (tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE)
  const meter = (meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE)
  const instruments = createInstruments(meter)
  const operations = new OperationTracker(tracer, instruments, recordKeys)
  const loads = new LoadTracker(tracer, instruments, operations, recordKeys)
  const signals = new Signals(instruments, operations)
  for (const cache of caches) signals.observe(checkCache(cache))

  const undo: (() => void)[] = []
  const on = (name: string, listener: (message: unknown) => void): void => {
    diagnostics.subscribe(name, listener)
    undo.push(() => diagnostics.unsubscribe(name, listener))
  }
  for (const operation of tracedOperations) {
    const channel = diagnostics.tracingChannel(operationChannelName(operation))
    on(channel.start.name as string, operations.begin)
    on(channel.end.name as string, operations.end)
    on(channel.asyncEnd.name as string, operations.asyncEnd)
  }
  const load = diagnostics.tracingChannel(loadChannelName)
  on(load.start.name as string, loads.start)
  on(load.end.name as string, loads.end)
  on(load.asyncEnd.name as string, loads.asyncEnd)
  on(channelNames.invalidationSent, signals.invalidationSent)
  on(channelNames.invalidationReceived, signals.invalidationReceived)
  on(channelNames.breaker, signals.breaker)
  on(channelNames.lock, signals.lock)
  on(channelNames.localEviction, signals.localEviction)
  on(channelNames.error, signals.error)
  instruments.hits.addCallback(operations.reads.observeHits)
  instruments.misses.addCallback(operations.reads.observeMisses)
  instruments.localSize.addCallback(signals.observeLocalSizes)
  instruments.breakerOpen.addCallback(signals.observeBreakers)
  undo.push(
    () => instruments.hits.removeCallback(operations.reads.observeHits),
    () => instruments.misses.removeCallback(operations.reads.observeMisses),
    () => instruments.localSize.removeCallback(signals.observeLocalSizes),
    () => instruments.breakerOpen.removeCallback(signals.observeBreakers),
  )
  holder[enabledFlag] = true

  let enabled = true
  return {
    observe(cache) {
      signals.observe(checkCache(cache))
    },
    disable() {
      if (!enabled) return
      enabled = false
      for (const step of undo.splice(0)) step()
      holder[enabledFlag] = false
    },
  }
}

function checkOptions(options: FlipCacheInstrumentationOptions): FlipCacheInstrumentationOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`instrumentFlipCache: options must be an object, got ${String(options)}`)
  const { tracerProvider, meterProvider, recordKeys, caches } = options
  if (tracerProvider !== undefined && typeof tracerProvider?.getTracer !== 'function')
    throw new TypeError('instrumentFlipCache: tracerProvider must be a TracerProvider (with getTracer)')
  if (meterProvider !== undefined && typeof meterProvider?.getMeter !== 'function')
    throw new TypeError('instrumentFlipCache: meterProvider must be a MeterProvider (with getMeter)')
  if (recordKeys !== undefined && typeof recordKeys !== 'boolean')
    throw new TypeError(`instrumentFlipCache: recordKeys must be a boolean, got ${String(recordKeys)}`)
  if (caches !== undefined && typeof (caches as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== 'function')
    throw new TypeError('instrumentFlipCache: caches must be an iterable of caches (an array of FlipCache)')
  return options
}

function checkCache(cache: ObservedCache): ObservedCache {
  if (
    typeof cache !== 'object' ||
    cache === null ||
    typeof cache.stats !== 'function' ||
    typeof cache.name !== 'string'
  )
    throw new TypeError(
      `instrumentFlipCache: ${String(cache)} is not a cache (a FlipCache, with name and stats())`,
    )
  return cache
}
