import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { describe, expect, it, vi } from 'vitest'
import { useCaches } from '../support/cache-builder.js'
import { pointsOf, sumOf, useTelemetry } from '../support/telemetry.js'

// flipcache-redis/otel against real caches on the test run's redis-server, with the OpenTelemetry
// SDK's in-memory exporters and the AsyncLocalStorage context manager (test/support/telemetry.ts).

const { cache, client } = useCaches()
const telemetry = useTelemetry()

describe('flipcache-redis/otel on real caches', () => {
  it('a getOrSet miss: a getOrSet span under the caller, the loader span under it, and the metric points', async () => {
    const users = cache<string, string>()
    let loads = 0
    const value = await telemetry.tracer().startActiveSpan('request', async (request) => {
      try {
        return await users.getOrSet('grace', async () => {
          loads++
          return 'Grace'
        })
      } finally {
        request.end()
      }
    })
    expect(value).toBe('Grace')
    expect(loads).toBe(1)
    const spans = telemetry.spans()
    const byName = new Map(spans.map((span) => [span.name, span]))
    const request = byName.get('request')
    const getOrSet = byName.get('flipcache getOrSet')
    const loaded = byName.get('flipcache load')
    expect(getOrSet?.kind).toBe(SpanKind.CLIENT)
    expect(getOrSet?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId)
    expect(loaded?.parentSpanContext?.spanId).toBe(getOrSet?.spanContext().spanId)
    expect(getOrSet?.attributes).toMatchObject({
      'db.system.name': 'redis',
      'db.operation.name': 'getOrSet',
      'flipcache.cache': users.name,
      'flipcache.tier': 'loader',
    })
    expect(getOrSet?.attributes['flipcache.key']).toBeUndefined()
    expect(getOrSet?.status.code).toBe(SpanStatusCode.UNSET)
    expect(loaded?.attributes).toEqual({
      'flipcache.cache': users.name,
      'flipcache.key_count': 1,
      'flipcache.load.background': false,
    })
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.misses', { 'flipcache.cache': users.name })).toBe(1)
    expect(sumOf(metrics, 'flipcache.loads', { 'flipcache.cache': users.name })).toBe(1)
    expect(sumOf(metrics, 'flipcache.load.duration', { 'flipcache.cache': users.name })).toBe(1)
    expect(
      sumOf(metrics, 'db.client.operation.duration', {
        'flipcache.cache': users.name,
        'db.operation.name': 'getOrSet',
      }),
    ).toBe(1)
  })

  it('an L1 hit makes no span but counts a hit of tier l1; a Redis hit makes a get span of tier l2', async () => {
    const users = cache<string, string>()
    await users.set('ada', 'Ada')
    const setSpans = telemetry.spans().length
    expect(await users.get('ada')).toBe('Ada')
    expect(await users.getOrSet('ada', async () => 'not called')).toBe('Ada')
    expect(telemetry.spans().length).toBe(setSpans)
    const reader = cache<string, string>({ localMax: 0 }, users.name)
    expect(await reader.get('ada')).toBe('Ada')
    const [get] = telemetry.spans().filter((span) => span.name === 'flipcache get')
    expect(get?.attributes).toMatchObject({ 'flipcache.tier': 'l2', 'flipcache.cache': users.name })
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.hits', { 'flipcache.tier': 'l1', 'db.operation.name': 'get' })).toBe(1)
    expect(
      sumOf(metrics, 'flipcache.hits', { 'flipcache.tier': 'l1', 'db.operation.name': 'getOrSet' }),
    ).toBe(1)
    expect(sumOf(metrics, 'flipcache.hits', { 'flipcache.tier': 'l2' })).toBe(1)
  })

  it('a failed loader: both spans fail, the getOrSet one with E_LOADER, and the load is counted by error.type', async () => {
    const users = cache<string, string>()
    await expect(
      users.getOrSet('grace', async () => Promise.reject(new Error('source down'))),
    ).rejects.toMatchObject({
      code: 'E_LOADER',
    })
    const getOrSet = telemetry.spans().find((span) => span.name === 'flipcache getOrSet')
    const loaded = telemetry.spans().find((span) => span.name === 'flipcache load')
    expect(loaded?.parentSpanContext?.spanId).toBe(getOrSet?.spanContext().spanId)
    expect([getOrSet?.status.code, getOrSet?.attributes['error.type']]).toEqual([
      SpanStatusCode.ERROR,
      'E_LOADER',
    ])
    expect([loaded?.status, loaded?.attributes['error.type']]).toEqual([
      { code: SpanStatusCode.ERROR, message: 'source down' },
      'Error',
    ])
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.loads', { 'flipcache.cache': users.name, 'error.type': 'Error' })).toBe(
      1,
    )
    expect(
      sumOf(metrics, 'db.client.operation.duration', {
        'flipcache.cache': users.name,
        'error.type': 'E_LOADER',
      }),
    ).toBe(1)
  })

  it('a reported failure (a value that does not decode) is counted by error.type', async () => {
    const users = cache<string, { name: string }>()
    users.on('error', () => {})
    await client().set(`${users.name}:broken`, '{not json')
    expect(await users.get('broken')).toBeUndefined()
    await vi.waitFor(async () =>
      expect(
        sumOf(await telemetry.metrics(), 'flipcache.errors', {
          'flipcache.cache': users.name,
          'error.type': 'E_DECODE',
        }),
      ).toBe(1),
    )
  })

  it('invalidations sent by one instance and received by another, with the bus delay', async () => {
    const name = cache<string, string>().name
    const writer = cache<string, string>({}, name)
    const holder = cache<string, string>({ redis: client() }, name)
    await writer.set('ada', 'Ada')
    expect(await holder.get('ada')).toBe('Ada')
    await writer.set('ada', 'Ada Lovelace')
    await vi.waitFor(async () => {
      const metrics = await telemetry.metrics()
      expect(sumOf(metrics, 'flipcache.invalidations.received', { 'flipcache.cache': name })).toBeGreaterThan(
        0,
      )
    })
    const metrics = await telemetry.metrics()
    expect(sumOf(metrics, 'flipcache.invalidations.sent', { 'flipcache.cache': name })).toBeGreaterThan(0)
    const delays = pointsOf(metrics, 'flipcache.invalidation.delay').filter(
      (point) => point.attributes['flipcache.cache'] === name,
    )
    expect(delays.length).toBeGreaterThan(0)
  })

  it('L1 size of an observed cache, and L1 evictions', async () => {
    const small = cache<string, number>({ localMax: 2 })
    telemetry.instrumentation().observe(small)
    for (const key of ['a', 'b', 'c', 'd']) await small.set(key, 1)
    const metrics = await telemetry.metrics()
    const [size] = pointsOf(metrics, 'flipcache.l1.size').filter(
      (point) => point.attributes['flipcache.cache'] === small.name,
    )
    expect(size?.value).toBe(small.stats().localSize)
    expect(sumOf(metrics, 'flipcache.l1.evictions', { 'flipcache.cache': small.name })).toBeGreaterThan(0)
  })
})
