import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FlipCacheError, RedisTimeoutError, RedisUnavailableError } from '../../src/errors.js'
import type { NodeBreakerChange } from '../../src/redis/breakers.js'
import type { Arg } from '../../src/redis/steps.js'
import { Transport } from '../../src/redis/transport.js'
import {
  afterTick,
  asCall,
  commandsOf,
  FakeRedisClient,
  idle,
  type SentCommand,
  track,
} from '../support/fake-redis-client.js'

const breaker = { failures: 2, cooldownMs: 1000 }

/** The single commands sent so far, as `[name, ...args]` lists (pipelines left out). */
function singles(client: FakeRedisClient): Arg[][] {
  return client.trips.filter((trip) => trip.via === 'call').flatMap(commandsOf)
}

/** Answers every single command sent so far with `result`. */
function answerSingles(client: FakeRedisClient, result: unknown): void {
  for (const trip of client.trips) if (trip.via === 'call') trip.resolve(result)
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('Transport: one pipeline per tick for every cache on the client', () => {
  it('sends the calls of two views made in one tick as one round trip (one write), and each gets its reply', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const first = transport.for(100)
    const second = transport.for(300)
    const set = first.command('SET', ['a:k', 'v'])
    const counted = second.command<number>('INCR', ['b:n'])
    const deleted = first.command<number>('UNLINK', ['a:x', 'a:y'])
    expect(client.trips).toHaveLength(0)
    await afterTick()
    const pipeline = client.onlyPipeline()
    expect(pipeline.commands).toEqual<SentCommand[]>([
      { name: 'SET', args: ['a:k', 'v'], reply: 'string' },
      { name: 'INCR', args: ['b:n'], reply: 'string' },
      { name: 'UNLINK', args: ['a:x', 'a:y'], reply: 'string' },
    ])
    pipeline.answer('OK', 7, 2)
    await expect(Promise.all([set, counted, deleted])).resolves.toEqual(['OK', 7, 2])
  })

  it('merges the reads of two views made in one tick into one MGET, each getting its own values', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const first = transport.for(100).read(['a:1', 'a:2'], 'string', false)
    const second = transport.for(300).read(['b:1'], 'string', false)
    await afterTick()
    const call = client.onlyCall()
    expect(commandsOf(call)).toEqual([['MGET', 'a:1', 'a:2', 'b:1']])
    call.resolve(['x', null, 'y'])
    await expect(first).resolves.toEqual({ values: ['x', null], ttls: undefined })
    await expect(second).resolves.toEqual({ values: ['y'], ttls: undefined })
  })

  it('coalesces the items of one key across views into one command built once, sent last, and answers each caller', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const build = vi.fn((items: string[]) => ['channel', items.join(',')])
    const first = transport.for(100).coalesce('notice', 'PUBLISH', build, ['a'])
    const write = transport.for(300).command('SET', ['a', '1'])
    const second = transport.for(300).coalesce('notice', 'PUBLISH', build, ['b', 'a'])
    const last = transport.for(100).command('SET', ['b', '2'])
    await afterTick()
    expect(build).toHaveBeenCalledTimes(1)
    expect(build).toHaveBeenCalledWith(['a', 'b'])
    const pipeline = client.onlyPipeline()
    expect(commandsOf(pipeline)).toEqual([
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['PUBLISH', 'channel', 'a,b'],
    ])
    pipeline.answer('OK', 'OK', 2)
    await expect(Promise.all([write, last, first, second])).resolves.toEqual(['OK', 'OK', 2, 2])
  })

  it('keeps one timer per timeout length, however many ticks are out', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const calls: Promise<unknown>[] = []
    for (let tick = 0; tick < 3; tick++) {
      calls.push(transport.for(100).command('PING', []))
      await afterTick()
    }
    expect(vi.getTimerCount()).toBe(1)
    calls.push(transport.for(300).command('PING', []))
    await afterTick()
    expect(vi.getTimerCount()).toBe(2)
    answerSingles(client, 'PONG')
    await Promise.all(calls)
  })
})

describe('Transport: each call within its own cache’s timeout', () => {
  it('times out every caller of each view of one pipeline at its own deadline, and ignores the late reply', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const short = transport.for(100)
    const shortCalls = [track(short.command('SET', ['a', '1'])), track(short.command('SET', ['c', '3']))]
    const long = track(transport.for(300).command('SET', ['b', '2']))
    await afterTick()
    const pipeline = client.onlyPipeline()
    await vi.advanceTimersByTimeAsync(99)
    expect([...shortCalls, long].map(({ state }) => state)).toEqual(['pending', 'pending', 'pending'])
    await vi.advanceTimersByTimeAsync(1)
    for (const call of shortCalls) {
      expect(call.state).toBe('rejected')
      expect(call.error).toBeInstanceOf(RedisTimeoutError)
      expect(call.error).toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 100 })
    }
    expect(long.state).toBe('pending')
    await vi.advanceTimersByTimeAsync(200)
    expect(long.error).toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 300 })
    pipeline.answer('OK')
    await vi.advanceTimersByTimeAsync(0)
    expect(shortCalls[0]?.error?.message).toMatch(/within 100 ms/)
    expect(long.error?.message).toMatch(/within 300 ms/)
  })

  it('gives a late reply to the callers still waiting, and not to the one that timed out', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const short = track(transport.for(100).command('GET', ['a']))
    const long = track(transport.for(300).command('GET', ['b']))
    await afterTick()
    await vi.advanceTimersByTimeAsync(150)
    expect(short.error).toMatchObject({ code: 'E_TIMEOUT' })
    client.onlyPipeline().answer('va', 'vb')
    await vi.advanceTimersByTimeAsync(0)
    expect(long).toMatchObject({ state: 'fulfilled', value: 'vb' })
    expect(short.state).toBe('rejected')
  })

  it('counts a pipeline that times out once for the breaker, however many callers it had', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const changes: NodeBreakerChange[] = []
    transport.breakers.join('a', breaker, (change) => changes.push(change))
    const calls = [100, 200, 300].map((ms) => track(transport.for(ms).command('SET', [`k${ms}`, 'v'])))
    await afterTick()
    await vi.advanceTimersByTimeAsync(300)
    expect(calls.map(({ state }) => state)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(changes).toEqual([])
    expect(transport.breakers.of()?.down).toBe(false)
    // A second pipeline that times out is the second failure in a row: Redis is marked down.
    const next = track(transport.for(100).command('GET', ['k']))
    await afterTick()
    await vi.advanceTimersByTimeAsync(100)
    expect(next.error).toMatchObject({ code: 'E_TIMEOUT' })
    expect(changes.map(({ status }) => status)).toEqual(['down'])
  })
})

describe('Transport: the breakers of a client, shared by its caches', () => {
  it('opens for every cache when one cache’s calls keep failing, and every cache hears it', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const heard: Record<string, string[]> = { a: [], b: [] }
    transport.breakers.join('a', breaker, (change) => heard.a?.push(change.status))
    transport.breakers.join('b', breaker, (change) => heard.b?.push(change.status))
    const failing = transport.for(100)
    for (let attempt = 0; attempt < 2; attempt++) {
      const call = track(failing.command('GET', ['a:k']))
      await afterTick()
      asCall(client.trips.at(-1)).reject(new Error('connection reset'))
      await vi.advanceTimersByTimeAsync(0)
      expect(call.error).toMatchObject({ code: 'E_REDIS' })
    }
    expect(heard).toEqual({ a: ['down'], b: ['down'] })
    const sent = client.trips.length
    const other = track(transport.for(500).command('GET', ['b:k']))
    await afterTick()
    await vi.advanceTimersByTimeAsync(0)
    expect(other.error).toBeInstanceOf(FlipCacheError)
    expect(other.error?.message).toMatch(/marked down/)
    expect(client.trips).toHaveLength(sent)
  })

  it('stops telling a cache of changes once it leaves', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const heard: string[] = []
    const leave = transport.breakers.join('a', { failures: 1, cooldownMs: 1000 }, (change) =>
      heard.push(change.status),
    )
    leave()
    const call = track(transport.for(100).command('GET', ['k']))
    await afterTick()
    client.onlyCall().reject(new Error('connection reset'))
    await vi.advanceTimersByTimeAsync(0)
    expect(call.state).toBe('rejected')
    expect(transport.breakers.of()?.down).toBe(true)
    expect(heard).toEqual([])
  })

  it('is made with the first cache’s settings; a cache with other settings is warned once', () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const transport = new Transport(new FakeRedisClient().asClient)
    transport.breakers.join('first', breaker, () => {})
    transport.breakers.join('same', { ...breaker }, () => {})
    expect(warnings).not.toHaveBeenCalled()
    transport.breakers.join('off', undefined, () => {})
    transport.breakers.join('other', { failures: 9, cooldownMs: 1000 }, () => {})
    expect(warnings).toHaveBeenCalledTimes(2)
    for (const [message, options] of warnings.mock.calls) {
      expect(options).toEqual({ type: 'FlipCacheWarning', code: 'E_BREAKER_SETTINGS' })
      expect(String(message)).toMatch(/the first applies/)
    }
    expect(String(warnings.mock.calls[0]?.[0])).toMatch(/`off`: its circuitBreaker setting \(false\)/)
    expect(transport.breakers.of()).toBeDefined()
  })

  it('stays off for the client when the first cache turned it off', () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const transport = new Transport(new FakeRedisClient().asClient)
    transport.breakers.join('first', undefined, () => {})
    transport.breakers.join('second', breaker, () => {})
    expect(warnings).toHaveBeenCalledTimes(1)
    expect(transport.breakers.of()).toBeUndefined()
  })
})

describe('Transport: the readiness gate', () => {
  it('holds the calls of every view while the client is not ready, and sends them in order once it is, one round trip per tick', async () => {
    const client = new FakeRedisClient('reconnecting')
    const transport = new Transport(client.asClient)
    const first = [
      transport.for(1000).command('SET', ['a', '1']),
      transport.for(1000).command('SET', ['b', '2']),
    ]
    await afterTick()
    vi.advanceTimersByTime(10)
    const second = transport.for(2000).command('SET', ['c', '3'])
    await afterTick()
    expect(client.trips).toHaveLength(0)
    client.becomeReady()
    // Made once the client is ready, but after the held calls: it leaves after them.
    const third = transport.for(1000).command('SET', ['d', '4'])
    await afterTick()
    await vi.advanceTimersByTimeAsync(0)
    expect(client.trips.map(commandsOf)).toEqual([
      [
        ['SET', 'a', '1'],
        ['SET', 'b', '2'],
      ],
      [['SET', 'c', '3']],
      [['SET', 'd', '4']],
    ])
    for (const trip of client.trips) {
      if (trip.via === 'pipeline') trip.answer('OK')
      else trip.resolve('OK')
    }
    await expect(Promise.all([...first, second, third])).resolves.toEqual(['OK', 'OK', 'OK', 'OK'])
  })

  it('fails a waiting call after its own timeout with a RedisUnavailableError naming the status, and never sends it', async () => {
    const client = new FakeRedisClient('connecting')
    const transport = new Transport(client.asClient)
    const short = track(transport.for(100).command('SET', ['a', 'dropped']))
    const long = track(transport.for(300).command('SET', ['b', 'kept']))
    await afterTick()
    await vi.advanceTimersByTimeAsync(100)
    expect(short.error).toBeInstanceOf(RedisUnavailableError)
    expect(short.error).toMatchObject({ code: 'E_REDIS' })
    expect(short.error?.message).toMatch(/not ready within 100 ms \(client status `connecting`\)/)
    expect(long.state).toBe('pending')
    client.becomeReady()
    await vi.advanceTimersByTimeAsync(0)
    expect(singles(client)).toEqual([['SET', 'b', 'kept']])
    client.onlyCall().resolve('OK')
    await vi.advanceTimersByTimeAsync(0)
    expect(long).toMatchObject({ state: 'fulfilled', value: 'OK' })
  })

  it('drops a batch whose callers all gave up, counting it once for the breaker', async () => {
    const client = new FakeRedisClient('connecting')
    const transport = new Transport(client.asClient)
    const changes: string[] = []
    transport.breakers.join('a', { failures: 1, cooldownMs: 1000 }, (change) => changes.push(change.status))
    const calls = [
      track(transport.for(100).command('SET', ['a', '1'])),
      track(transport.for(200).command('SET', ['b', '2'])),
    ]
    await afterTick()
    await vi.advanceTimersByTimeAsync(200)
    expect(calls.map(({ error }) => error?.message)).toEqual([
      expect.stringMatching(/not ready within 100 ms/),
      expect.stringMatching(/not ready within 200 ms/),
    ])
    expect(changes).toEqual(['down'])
    client.becomeReady()
    await idle()
    expect(client.trips).toHaveLength(0)
  })
})
