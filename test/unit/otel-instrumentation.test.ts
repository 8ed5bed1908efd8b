import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { FlipCacheError } from '../../src/errors.js'
import {
  breakerChannel,
  errorChannel,
  invalidationReceivedChannel,
  invalidationSentChannel,
  type LoadContext,
  loadChannel,
  localEvictionChannel,
  lockChannel,
  type OperationContext,
  operationChannels,
} from '../../src/observe/channels.js'
import { instrumentFlipCache } from '../../src/otel/index.js'
import { pointsOf, sumOf, useTelemetry } from '../support/telemetry.js'

// flipcache's channels published by hand, exactly as the contract of src/observe/channels.ts says
// (tracePromise / traceSync / publish), so that every path of the instrumentation is driven here
// without Redis; test/integration/otel.test.ts checks the same against real caches.

const telemetry = useTelemetry()

function operation(fields: Omit<OperationContext, 'cache'> & { cache?: string }): OperationContext {
  return { cache: 'users', ...fields }
}

/** A loader run inside the current operation, as getOrSet publishes it. */
function load<T>(key: string, run: () => Promise<T>, background = false): Promise<T> {
  const context: LoadContext = { cache: 'users', key, keyCount: 1, background }
  return loadChannel.tracePromise(run, context)
}

describe('spans', () => {
  it('an L1 hit makes no span, only a hit on flipcache.hits (tier l1)', async () => {
    const context = operation({ operation: 'get', key: 'ada' })
    const value = await operationChannels.get.tracePromise(async () => {
      context.tier = 'l1'
      return 'Ada'
    }, context)
    expect(value).toBe('Ada')
    expect(telemetry.spans()).toEqual([])
    const metrics = await telemetry.metrics()
    expect(pointsOf(metrics, 'flipcache.hits').map((point) => [point.attributes, point.value])).toEqual([
      [{ 'flipcache.cache': 'users', 'db.operation.name': 'get', 'flipcache.tier': 'l1' }, 1],
    ])
    expect(metrics.has('db.client.operation.duration')).toBe(false)
  })

  it('a get answered by Redis is a CLIENT span with the database attributes, timed from its start', async () => {
    const context = operation({ operation: 'get', key: 'ada' })
    const before = Date.now()
    await telemetry.tracer().startActiveSpan('request', async (request) => {
      await operationChannels.get.tracePromise(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        context.tier = 'l2'
        return 'Ada'
      }, context)
      request.end()
    })
    const [span, request, ...others] = telemetry.spans()
    expect(others).toEqual([])
    // Made at the end, in the promise's reaction: still under the caller's span.
    expect(span?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId)
    expect(span?.name).toBe('flipcache get')
    expect(span?.kind).toBe(SpanKind.CLIENT)
    expect(span?.attributes).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'get',
      'flipcache.cache': 'users',
      'flipcache.tier': 'l2',
    })
    expect(span?.status.code).toBe(SpanStatusCode.UNSET)
    // Started at `start` (before the timer), though made at the end.
    const startMs = (span?.startTime[0] ?? 0) * 1000 + (span?.startTime[1] ?? 0) / 1e6
    expect(startMs).toBeGreaterThanOrEqual(before - 1)
    const durationMs = (span?.duration[0] ?? 0) * 1000 + (span?.duration[1] ?? 0) / 1e6
    expect(durationMs).toBeGreaterThanOrEqual(15)
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.hits', { 'flipcache.tier': 'l2' })).toBe(1)
    const [duration] = pointsOf(metrics, 'db.client.operation.duration')
    expect(duration?.attributes).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'get',
      'flipcache.cache': 'users',
    })
    expect(metrics.get('db.client.operation.duration')?.descriptor.unit).toBe('s')
    expect(typeof duration?.value === 'object' && duration.value.sum).toBeGreaterThanOrEqual(0.015)
  })

  it("a getOrSet miss: its span is the caller's span's child, and the loader's span is its child", async () => {
    const context = operation({ operation: 'getOrSet', key: 'grace' })
    await telemetry.tracer().startActiveSpan('request', async (request) => {
      await operationChannels.getOrSet.tracePromise(async () => {
        const value = await load('grace', async () => {
          await new Promise((resolve) => setTimeout(resolve, 5))
          return 'Grace'
        })
        context.tier = 'loader'
        context.stale = false
        return value
      }, context)
      request.end()
    })
    const spans = telemetry.spans()
    expect(spans.map((span) => span.name)).toEqual(['flipcache load', 'flipcache getOrSet', 'request'])
    const [loaded, getOrSet, request] = spans
    expect(getOrSet?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId)
    expect(loaded?.parentSpanContext?.spanId).toBe(getOrSet?.spanContext().spanId)
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(1)
    expect(loaded?.kind).toBe(SpanKind.INTERNAL)
    expect(loaded?.attributes).toEqual({
      'flipcache.cache': 'users',
      'flipcache.key_count': 1,
      'flipcache.load.background': false,
    })
    expect(getOrSet?.attributes).toMatchObject({ 'flipcache.tier': 'loader', 'flipcache.stale': false })
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.misses', { 'db.operation.name': 'getOrSet' })).toBe(1)
    expect(sumOf(metrics, 'flipcache.hits')).toBe(0)
    expect(sumOf(metrics, 'flipcache.loads', { 'flipcache.load.background': false })).toBe(1)
    expect(sumOf(metrics, 'flipcache.load.duration')).toBe(1)
    expect(sumOf(metrics, 'db.client.operation.duration', { 'db.operation.name': 'getOrSet' })).toBe(1)
  })

  it("getOrSetMany's batch load goes under its span; concurrent ones under the caller's span", async () => {
    const batch = (keys: string[], ready: Promise<unknown> = Promise.resolve()) => {
      const context = operation({ operation: 'getOrSetMany', keyCount: keys.length })
      return operationChannels.getOrSetMany.tracePromise(async () => {
        await ready
        const loaded: LoadContext = {
          cache: 'users',
          key: keys[0] ?? '',
          keyCount: keys.length,
          background: false,
        }
        await loadChannel.tracePromise(async () => keys, loaded)
        context.tiers = { l1: 0, l2: 0, loader: keys.length, miss: 0 }
        return keys
      }, context)
    }
    await batch(['a', 'b'])
    const [alone, aloneCall] = telemetry.spans()
    expect([alone?.name, aloneCall?.name]).toEqual(['flipcache load', 'flipcache getOrSetMany'])
    expect(alone?.parentSpanContext?.spanId).toBe(aloneCall?.spanContext().spanId)
    await telemetry.tracer().startActiveSpan('request', async (request) => {
      // Both loads start while both calls run: which call a load is of, the channels do not say.
      const bothRunning = new Promise((resolve) => setTimeout(resolve, 1))
      await Promise.all([batch(['c', 'd'], bothRunning), batch(['e', 'f'], bothRunning)])
      request.end()
    })
    const request = telemetry.spans().at(-1)
    const concurrentLoads = telemetry
      .spans()
      .slice(2)
      .filter((span) => span.name === 'flipcache load')
    expect(concurrentLoads.map((span) => span.parentSpanContext?.spanId)).toEqual([
      request?.spanContext().spanId,
      request?.spanContext().spanId,
    ])
  })

  it("a background refresh that outlives an L1-hit getOrSet goes under the call's parent, flagged background", async () => {
    const context = operation({ operation: 'getOrSet', key: 'grace' })
    let refreshed: Promise<string> | undefined
    await telemetry.tracer().startActiveSpan('request', async (request) => {
      await operationChannels.getOrSet.tracePromise(async () => {
        context.tier = 'l1'
        context.stale = true
        // Scheduled now, run after the call returned the stale value.
        refreshed = new Promise((resolve) => setTimeout(resolve, 5)).then(() =>
          load('grace', async () => 'Grace', true),
        )
        return 'Grace (stale)'
      }, context)
      await refreshed
      request.end()
    })
    const [loaded, request, ...others] = telemetry.spans()
    expect(others).toEqual([])
    expect(loaded?.name).toBe('flipcache load')
    expect(loaded?.attributes['flipcache.load.background']).toBe(true)
    expect(loaded?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId)
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.hits', { 'flipcache.tier': 'l1', 'flipcache.stale': true })).toBe(1)
    expect(sumOf(metrics, 'flipcache.loads', { 'flipcache.load.background': true })).toBe(1)
  })

  it('a failed operation: status ERROR, error.type the flipcache code, the exception as an event', async () => {
    const context = operation({ operation: 'set', key: 'ada' })
    const failure = new FlipCacheError('E_REDIS', 'Redis is down')
    await expect(
      operationChannels.set.tracePromise(async () => {
        throw failure
      }, context),
    ).rejects.toBe(failure)
    const [span] = telemetry.spans()
    expect(span?.name).toBe('flipcache set')
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Redis is down' })
    expect(span?.attributes['error.type']).toBe('E_REDIS')
    expect(span?.events.map((event) => event.name)).toEqual(['exception'])
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'db.client.operation.duration', { 'error.type': 'E_REDIS' })).toBe(1)
  })

  it('a failed loader: its span fails with the error name, counted by error.type', async () => {
    const context = operation({ operation: 'getOrSet', key: 'grace' })
    await expect(
      operationChannels.getOrSet.tracePromise(
        () => load('grace', async () => Promise.reject(new RangeError('no such user'))),
        context,
      ),
    ).rejects.toThrow('no such user')
    const [loaded, getOrSet] = telemetry.spans()
    expect(loaded?.status.code).toBe(SpanStatusCode.ERROR)
    expect(loaded?.attributes['error.type']).toBe('RangeError')
    expect(loaded?.parentSpanContext?.spanId).toBe(getOrSet?.spanContext().spanId)
    expect(getOrSet?.attributes['error.type']).toBe('RangeError')
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.loads', { 'error.type': 'RangeError' })).toBe(1)
  })

  it('a synchronous operation (traceSync) ends at `end`; one that throws synchronously too', () => {
    const context = operation({ operation: 'delete', key: 'ada' })
    operationChannels.delete.traceSync(() => true, context)
    const thrown = operation({ operation: 'clear' })
    expect(() =>
      operationChannels.clear.traceSync(() => {
        throw new TypeError('bad')
      }, thrown),
    ).toThrow('bad')
    const spans = telemetry.spans()
    expect(spans.map((span) => [span.name, span.status.code])).toEqual([
      ['flipcache delete', SpanStatusCode.UNSET],
      ['flipcache clear', SpanStatusCode.ERROR],
    ])
  })

  it('getMany counts each tier, and makes a span only when some key left L1', async () => {
    const fromL1 = operation({ operation: 'getMany', keyCount: 2 })
    await operationChannels.getMany.tracePromise(async () => {
      fromL1.tiers = { l1: 2, l2: 0, loader: 0, miss: 0 }
      return []
    }, fromL1)
    expect(telemetry.spans()).toEqual([])
    const mixed = operation({ operation: 'getMany', keyCount: 4 })
    await operationChannels.getMany.tracePromise(async () => {
      mixed.tiers = { l1: 2, l2: 1, loader: 0, miss: 1 }
      return []
    }, mixed)
    const [span] = telemetry.spans()
    expect(span?.attributes).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'getMany',
      'flipcache.cache': 'users',
      'flipcache.key_count': 4,
      'flipcache.tiers.l1': 2,
      'flipcache.tiers.l2': 1,
      'flipcache.tiers.loader': 0,
      'flipcache.tiers.miss': 1,
    })
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.hits', { 'flipcache.tier': 'l1' })).toBe(4)
    expect(sumOf(metrics, 'flipcache.hits', { 'flipcache.tier': 'l2' })).toBe(1)
    expect(sumOf(metrics, 'flipcache.misses')).toBe(1)
  })

  it('keys stay off the spans unless recordKeys is set', async () => {
    telemetry.instrumentation().disable()
    const { tracer } = telemetry
    const withKeys = instrumentFlipCache({
      tracerProvider: { getTracer: () => tracer() },
      recordKeys: true,
    })
    try {
      const context = operation({ operation: 'getOrSet', key: 'user:7' })
      await operationChannels.getOrSet.tracePromise(async () => {
        context.tier = 'loader'
        return load('user:7', async () => 7)
      }, context)
    } finally {
      withKeys.disable()
    }
    expect(telemetry.spans().map((span) => span.attributes['flipcache.key'])).toEqual(['user:7', 'user:7'])
  })

  it('a lock taken inside getOrSet opens its span and shows there as an event', async () => {
    const context = operation({ operation: 'getOrSet', key: 'grace' })
    await operationChannels.getOrSet.tracePromise(async () => {
      lockChannel.publish({ cache: 'users', key: 'grace', event: 'acquired' })
      const value = await load('grace', async () => 'Grace')
      lockChannel.publish({ cache: 'users', key: 'grace', event: 'released' })
      context.tier = 'loader'
      return value
    }, context)
    const getOrSet = telemetry.spans().find((span) => span.name === 'flipcache getOrSet')
    expect(getOrSet?.events.map((event) => event.name)).toEqual([
      'flipcache.lock.acquired',
      'flipcache.lock.released',
    ])
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.lock.events', { 'flipcache.lock.event': 'acquired' })).toBe(1)
    expect(sumOf(metrics, 'flipcache.lock.events', { 'flipcache.lock.event': 'released' })).toBe(1)
  })
})

describe('metrics of the plain channels', () => {
  it('invalidations sent and received by kind, the bus delay in seconds (skew as 0, unknown left out)', async () => {
    invalidationSentChannel.publish({ cache: 'users', kind: 'write', count: 3 })
    invalidationSentChannel.publish({ cache: 'users', kind: 'clear', count: 0 })
    invalidationReceivedChannel.publish({ cache: 'users', kind: 'write', count: 1, delayMs: 4 })
    invalidationReceivedChannel.publish({ cache: 'users', kind: 'write', count: 1, delayMs: -2 })
    invalidationReceivedChannel.publish({ cache: 'users', kind: 'tracking', count: 1, delayMs: undefined })
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.invalidations.sent', { 'flipcache.invalidation.kind': 'write' })).toBe(1)
    expect(sumOf(metrics, 'flipcache.invalidations.sent')).toBe(2)
    expect(sumOf(metrics, 'flipcache.invalidations.received')).toBe(3)
    const [delay, ...others] = pointsOf(metrics, 'flipcache.invalidation.delay')
    expect(others).toEqual([])
    expect(delay?.attributes).toEqual({ 'flipcache.cache': 'users', 'flipcache.invalidation.kind': 'write' })
    expect(delay?.value).toMatchObject({ count: 2, sum: 0.004, min: 0, max: 0.004 })
  })

  it('errors by code, L1 evictions', async () => {
    errorChannel.publish({ cache: 'users', error: new FlipCacheError('E_DECODE', 'bad bytes') })
    errorChannel.publish({ cache: 'users', error: new FlipCacheError('E_DECODE', 'bad bytes') })
    errorChannel.publish({ cache: 'users', error: new Error('plain') })
    localEvictionChannel.publish({ cache: 'users', key: 'ada' })
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.errors', { 'error.type': 'E_DECODE' })).toBe(2)
    expect(sumOf(metrics, 'flipcache.errors', { 'error.type': 'Error' })).toBe(1)
    expect(sumOf(metrics, 'flipcache.l1.evictions', { 'flipcache.cache': 'users' })).toBe(1)
  })

  it('the breaker gauge: 1 while a node is down, 0 once up, with the node as server.address and server.port', async () => {
    breakerChannel.publish({
      cache: 'users',
      status: 'down',
      node: '10.0.0.7:7001',
      error: new Error('gone'),
    })
    breakerChannel.publish({ cache: 'users', status: 'down', node: undefined, error: new Error('gone') })
    let points = pointsOf(await telemetry.metrics(), 'flipcache.breaker.open')
    expect(points.map((point) => [point.attributes, point.value])).toEqual([
      [{ 'flipcache.cache': 'users', 'server.address': '10.0.0.7', 'server.port': 7001 }, 1],
      [{ 'flipcache.cache': 'users' }, 1],
    ])
    breakerChannel.publish({ cache: 'users', status: 'up', node: '10.0.0.7:7001', error: undefined })
    points = pointsOf(await telemetry.metrics(), 'flipcache.breaker.open')
    expect(points.map((point) => point.value)).toEqual([0, 1])
  })

  it('the L1 size gauge reads each observed cache', async () => {
    let size = 3
    telemetry.instrumentation().observe({ name: 'users', stats: () => ({ localSize: size }) })
    telemetry.instrumentation().observe({ name: 'posts', stats: () => ({ localSize: 1 }) })
    let points = pointsOf(await telemetry.metrics(), 'flipcache.l1.size')
    expect(points.map((point) => [point.attributes['flipcache.cache'], point.value])).toEqual([
      ['users', 3],
      ['posts', 1],
    ])
    size = 5
    points = pointsOf(await telemetry.metrics(), 'flipcache.l1.size')
    expect(points.map((point) => point.value)).toEqual([5, 1])
  })
})

describe('enabling and disabling', () => {
  it('a second instrumentation while one is enabled is refused; disable() unsubscribes, twice is harmless', async () => {
    expect(() => instrumentFlipCache()).toThrow(/already enabled/)
    telemetry.instrumentation().disable()
    telemetry.instrumentation().disable()
    const context = operation({ operation: 'set', key: 'ada' })
    await operationChannels.set.tracePromise(async () => true, context)
    expect(telemetry.spans()).toEqual([])
    expect((await telemetry.metrics()).size).toBe(0)
    // Free again: the global providers (no-ops here) are used when none is given.
    const again = instrumentFlipCache()
    again.disable()
  })

  it('without any providers given, spans go to the global tracer provider', async () => {
    telemetry.instrumentation().disable()
    const { tracer } = telemetry
    trace.setGlobalTracerProvider({ getTracer: () => tracer() })
    const instrumentation = instrumentFlipCache()
    try {
      await operationChannels.set.tracePromise(async () => true, operation({ operation: 'set', key: 'a' }))
    } finally {
      instrumentation.disable()
      trace.disable()
    }
    expect(telemetry.spans().map((span) => span.name)).toEqual(['flipcache set'])
  })

  it('bad options are TypeErrors naming the option', () => {
    telemetry.instrumentation().disable()
    expect(() => instrumentFlipCache(null as never)).toThrow(TypeError)
    expect(() => instrumentFlipCache({ tracerProvider: {} as never })).toThrow(/tracerProvider/)
    expect(() => instrumentFlipCache({ meterProvider: 1 as never })).toThrow(/meterProvider/)
    expect(() => instrumentFlipCache({ recordKeys: 'yes' as never })).toThrow(/recordKeys/)
    expect(() => instrumentFlipCache({ caches: {} as never })).toThrow(/caches/)
    expect(() => instrumentFlipCache({ caches: [{ name: 'x' }] as never })).toThrow(/not a cache/)
    // None of them left an instrumentation enabled.
    instrumentFlipCache().disable()
  })
})
