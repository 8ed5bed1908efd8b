import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  type DataPoint,
  type Histogram,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, beforeEach } from 'vitest'
import { type FlipCacheInstrumentation, instrumentFlipCache } from '../../src/otel/index.js'
import type { FlipCacheInstrumentationOptions } from '../../src/otel/instrument.js'

/** A metric reader the test collects from when it wants (no timer). */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export type Point = DataPoint<number | Histogram>

/**
 * OpenTelemetry's SDK in memory for each test: a tracer provider exporting to an
 * `InMemorySpanExporter` through a `SimpleSpanProcessor`, a meter provider read on demand, the
 * AsyncLocalStorage context manager, and flipcache's instrumentation on both (disabled after).
 */
export function useTelemetry(
  options: Omit<FlipCacheInstrumentationOptions, 'tracerProvider' | 'meterProvider'> = {},
) {
  let exporter: InMemorySpanExporter
  let tracerProvider: BasicTracerProvider
  let reader: CollectingReader
  let meterProvider: MeterProvider
  let contextManager: AsyncLocalStorageContextManager
  let instrumentation: FlipCacheInstrumentation | undefined

  beforeEach(() => {
    contextManager = new AsyncLocalStorageContextManager().enable()
    context.setGlobalContextManager(contextManager)
    exporter = new InMemorySpanExporter()
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    reader = new CollectingReader()
    meterProvider = new MeterProvider({ readers: [reader] })
    instrumentation = instrumentFlipCache({ ...options, tracerProvider, meterProvider })
  })

  afterEach(async () => {
    instrumentation?.disable()
    instrumentation = undefined
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
    context.disable()
    contextManager.disable()
  })

  return {
    instrumentation: (): FlipCacheInstrumentation => {
      if (instrumentation === undefined) throw new Error('no instrumentation outside a test')
      return instrumentation
    },
    tracer: () => tracerProvider.getTracer('test'),
    /** Ended spans so far, in the order they ended. */
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    /** Every metric with at least one point, by name. */
    async metrics(): Promise<Map<string, MetricData>> {
      const { resourceMetrics } = await reader.collect()
      const byName = new Map<string, MetricData>()
      for (const scope of resourceMetrics.scopeMetrics)
        for (const metric of scope.metrics)
          if (metric.dataPoints.length > 0) byName.set(metric.descriptor.name, metric)
      return byName
    },
  }
}

/** The points of `name` (none if it has none), each as its attributes and value. */
export function pointsOf(metrics: Map<string, MetricData>, name: string): Point[] {
  return (metrics.get(name)?.dataPoints ?? []) as Point[]
}

/** The sum of a counter's points whose attributes include `attributes`. */
export function sumOf(
  metrics: Map<string, MetricData>,
  name: string,
  attributes: Record<string, unknown> = {},
): number {
  return pointsOf(metrics, name)
    .filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + (typeof point.value === 'number' ? point.value : point.value.count), 0)
}
