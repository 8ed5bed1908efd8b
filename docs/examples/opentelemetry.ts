// flipcache-redis/otel in a process of its own: a request span around a getOrSet miss, an L1 hit and
// a Redis hit, then the span tree and every metric point, as docs/opentelemetry.md shows them.
import { context, SpanKind } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { Redis } from 'ioredis'
import { FlipCache } from '../../src/index.js' // in your code: from 'flipcache-redis'
import { instrumentFlipCache } from '../../src/otel/index.js' // in your code: from 'flipcache-redis/otel'

/** Read when `main` wants (an application would export periodically instead). */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface Run {
  /** The spans, indented under their parents: name, kind, attributes, duration. */
  trace: string[]
  /** Each metric point: name, unit, attributes, value. */
  metrics: string[]
}

export async function main(redisUrl: string, withDurations = true): Promise<Run> {
  const contextManager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(contextManager)
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const reader = new OnDemandReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const redis = new Redis(redisUrl)
  const name = `users-otel-${Date.now()}`
  const users = new FlipCache<string, { name: string }>(name, { redis })
  const replica = new FlipCache<string, { name: string }>(name, { redis, localMax: 0 })
  const instrumentation = instrumentFlipCache({ tracerProvider, meterProvider, caches: [users] })
  try {
    await tracerProvider.getTracer('app').startActiveSpan('GET /users/7', async (request) => {
      const loadUser = async () => {
        await new Promise((resolve) => setTimeout(resolve, 5)) // the database
        return { name: 'Grace' }
      }
      await users.getOrSet('user:7', loadUser) // a miss: Redis, the lock, the loader, the write
      await users.getOrSet('user:7', loadUser) // an L1 hit: no span, a hit
      await replica.get('user:7') // no L1 on this one: a Redis hit
      request.end()
    })
    await users.clear()
    const { resourceMetrics } = await reader.collect()
    const metrics = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .flatMap((metric) =>
        metric.dataPoints.map((point) => {
          const value =
            typeof point.value === 'number'
              ? String(point.value)
              : `count ${(point.value as { count: number }).count}`
          return `${metric.descriptor.name} (${metric.descriptor.unit}) ${JSON.stringify(point.attributes)}: ${value}`
        }),
      )
    return { trace: tree(exporter.getFinishedSpans(), withDurations), metrics }
  } finally {
    instrumentation.disable()
    await users.close()
    await replica.close()
    redis.disconnect()
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
    context.disable()
  }
}

/** The spans as an indented tree, children in the order they started. */
function tree(spans: ReadableSpan[], withDurations: boolean): string[] {
  const lines: string[] = []
  const ids = new Set(spans.map((span) => span.spanContext().spanId))
  const started = [...spans].sort(
    (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
  )
  const print = (parent: string | undefined, depth: number): void => {
    for (const span of started) {
      const parentId = span.parentSpanContext?.spanId
      if (parent === undefined ? parentId !== undefined && ids.has(parentId) : parentId !== parent) continue
      const ms = span.duration[0] * 1000 + span.duration[1] / 1e6
      const attributes = Object.entries(span.attributes).map(([key, value]) => `${key}=${String(value)}`)
      lines.push(
        `${'  '.repeat(depth)}${span.name} [${SpanKind[span.kind]}]${withDurations ? ` ${ms.toFixed(1)} ms` : ''}${attributes.length > 0 ? ` ${attributes.join(' ')}` : ''}${span.events.length > 0 ? ` events: ${span.events.map((event) => event.name).join(', ')}` : ''}`,
      )
      print(span.spanContext().spanId, depth + 1)
    }
  }
  print(undefined, 0)
  return lines
}

// Needs a Redis (REDIS_URL, default 127.0.0.1:6379).
if (import.meta.url === `file://${process.argv[1]}`) {
  const { trace, metrics } = await main(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  console.log(['Trace:', ...trace, '', 'Metrics:', ...metrics].join('\n'))
}
