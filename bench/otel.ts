import { context as otelContext } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { FlipCache } from '../src/index.js'
import { instrumentFlipCache } from '../src/otel/index.js'
import { type User, users } from './support/data.js'
import { formatCount, formatDuration, formatRatio, formatSpread } from './support/format.js'
import { type Measured, measure, ratio, ratioSpread, resultOf, type TaskSpec } from './support/measure.js'
import type { Scenario } from './support/scenario.js'

const KEYS = 1000

/** A metric reader collected once, at the end, to check that the instrumented rows were counted. */
class CollectingReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * The cost of `flipcache-redis/otel` on the cheapest path: the L1-hit `get` (and `getOrSet`) with
 * `instrumentFlipCache()` enabled on the OpenTelemetry SDK's providers, against the same reads with
 * nobody subscribed. The instrumentation is global, so the two sides cannot share a tinybench round:
 * each round times both sides one after the other (their order alternating), and ratios pair rounds.
 */
export const otel: Scenario = {
  name: 'otel',
  summary: `L1-hit get / getOrSet of ${KEYS} warm keys with instrumentFlipCache() enabled vs not`,
  inProcess: true,
  async run(context) {
    const entries = users(KEYS)
    const keys = entries.map(([key]) => key)
    const redis = await context.client()
    const cache: FlipCache<string, User> = context.cache('otel', {
      redis,
      localMax: KEYS * 10,
      localTtl: '1h',
    })
    await cache.setMany(entries)
    for (const key of keys) await cache.get(key)
    const loadUser = async (): Promise<User> => {
      throw new Error('otel: getOrSet called its loader on a warm key')
    }
    let sink = 0
    const tasks = (label: string): TaskSpec[] => [
      {
        name: `get${label}`,
        ops: KEYS,
        fn: async () => {
          for (const key of keys) sink += (await cache.get(key))?.id ?? 0
        },
      },
      {
        name: `getOrSet${label}`,
        ops: KEYS,
        fn: async () => {
          for (const key of keys) sink += (await cache.getOrSet(key, loadUser)).id
        },
      },
    ]
    const exporter = new InMemorySpanExporter()
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const reader = new CollectingReader()
    const meterProvider = new MeterProvider({ readers: [reader] })
    // Four sides, each a tinybench run of its own in every round (their order rotating): nobody
    // subscribed, instrumented, and both again with OpenTelemetry's AsyncLocalStorage context
    // manager enabled, as NodeSDK enables it.
    const sides = [
      { label: '', contextManager: false, instrumented: false },
      { label: ', instrumented', contextManager: false, instrumented: true },
      { label: ', context manager', contextManager: true, instrumented: false },
      { label: ', context manager, instrumented', contextManager: true, instrumented: true },
    ]
    const measured = new Map<string, Map<string, Measured>[]>(sides.map((side) => [side.label, []]))
    let hits = 0
    const rounds = Math.max(1, context.timing.rounds)
    const once = { ...context.timing, rounds: 1 }
    for (let round = 0; round < rounds; round++) {
      for (const side of [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)]) {
        const manager = side.contextManager ? new AsyncLocalStorageContextManager().enable() : undefined
        if (manager !== undefined) otelContext.setGlobalContextManager(manager)
        const instrumentation = side.instrumented
          ? instrumentFlipCache({ tracerProvider, meterProvider, caches: [cache] })
          : undefined
        try {
          measured.get(side.label)?.push(await measure(tasks(side.label), once))
          // Hits are observable counters: read while this instrumentation is enabled.
          if (instrumentation !== undefined) hits = await hitsCounted(reader)
        } finally {
          instrumentation?.disable()
          if (manager !== undefined) {
            otelContext.disable()
            manager.disable()
          }
        }
      }
    }
    if (hits === 0) throw new Error('otel: the instrumented rows counted no hit')
    if (exporter.getFinishedSpans().length > 0)
      throw new Error(`otel: L1 hits made ${exporter.getFinishedSpans().length} spans`)
    const stats = cache.stats()
    if (stats.remoteHits > 0 || stats.misses > 0) throw new Error('otel: a read went past L1')
    if (sink <= 0) throw new Error('otel: the reads returned nothing')
    await tracerProvider.shutdown()
    await meterProvider.shutdown()

    const rows: string[][] = []
    for (const operation of ['get', 'getOrSet']) {
      const row = (label: string) => merged(measured.get(label) ?? [], `${operation}${label}`)
      for (const [baseline, instrumented] of [
        ['', ', instrumented'],
        [', context manager', ', context manager, instrumented'],
      ] as const) {
        const plain = row(baseline)
        const traced = row(instrumented)
        rows.push(
          [plain.name, formatCount(plain.opsPerSec), formatDuration(plain.opMs), '', '', ''],
          [
            traced.name,
            formatCount(traced.opsPerSec),
            formatDuration(traced.opMs),
            formatDuration(traced.opMs - plain.opMs),
            formatRatio(ratio(traced, plain)),
            formatSpread(ratioSpread(traced, plain)),
          ],
        )
      }
    }
    context.report({
      id: 'otel',
      title: `OpenTelemetry: L1-hit reads over ${formatCount(KEYS)} warm keys, instrumented or not`,
      intro:
        'The same warm cache read with awaited gets (and getOrSet, whose loader never runs), with nobody ' +
        'subscribed to its diagnostics channels, then with `instrumentFlipCache()` of `flipcache-redis/otel` ' +
        "enabled on the SDK's BasicTracerProvider and MeterProvider (an L1 hit makes no span: it counts a " +
        "hit on flipcache.hits); both again with the SDK's AsyncLocalStorageContextManager enabled. Each side " +
        'is timed on its own in every round (the instrumentation is global), the order rotating; ratios pair rounds.',
      columns: [
        { header: 'task' },
        { header: 'ops/s', align: 'right' },
        { header: 'mean/op', align: 'right' },
        { header: 'added/op', align: 'right' },
        { header: 'vs uninstrumented', align: 'right' },
        { header: 'rounds', align: 'right' },
      ],
      rows,
      notes: [
        `Hits counted by the last instrumented round: ${formatCount(hits)}; spans made: 0.`,
        'added/op and the ratio: against the row above (the same side without the instrumentation).',
        "The 'context manager' rows have OpenTelemetry's AsyncLocalStorageContextManager enabled, as NodeSDK enables it; the instrumentation itself uses no AsyncLocalStorage.",
      ],
      configs: [
        { row: 'get', config: `FlipCache, localMax ${KEYS * 10}, localTtl 1 h, every key warm in L1` },
        {
          row: 'get, instrumented',
          config: 'the same, with instrumentFlipCache({ tracerProvider, meterProvider, caches: [cache] })',
        },
      ],
    })
  },
}

/** The sum of flipcache.hits now: what the enabled instrumentation counted. */
async function hitsCounted(reader: MetricReader): Promise<number> {
  const { resourceMetrics } = await reader.collect()
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === 'flipcache.hits')
    .flatMap((metric) => metric.dataPoints as { value: unknown }[])
    .reduce((sum: number, point) => sum + Number(point.value), 0)
}

/** One row over all rounds: the median round, with every round's throughput for paired ratios. */
function merged(rounds: Map<string, Measured>[], name: string): Measured {
  const measured = rounds.map((round) => resultOf(round, name))
  const sorted = [...measured].sort((a, b) => a.opsPerSec - b.opsPerSec)
  const median = sorted[Math.floor(sorted.length / 2)] as Measured
  return { ...median, roundOpsPerSec: measured.map((each) => each.opsPerSec) }
}
