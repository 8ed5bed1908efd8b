import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FlipCacheError, RedisTimeoutError } from '../../src/errors.js'
import type { NodeBreakerChange } from '../../src/redis/breakers.js'
import { Transport } from '../../src/redis/transport.js'
import { afterTick, FakeRedisClient } from '../support/fake-transport-client.js'

/** A promise's outcome so far, to tell a pending call from a settled one. */
function watch<T>(promise: Promise<T>): {
  state: 'pending' | 'resolved' | 'rejected'
  value?: T
  error?: Error
} {
  const outcome: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: Error } = {
    state: 'pending',
  }
  promise.then(
    (value) => {
      outcome.state = 'resolved'
      outcome.value = value
    },
    (error: Error) => {
      outcome.state = 'rejected'
      outcome.error = error
    },
  )
  return outcome
}

const breaker = { failures: 2, cooldownMs: 1000 }

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('Transport: one pipeline per tick for every cache on the client', () => {
  it('sends the calls of two views made in one tick as one pipeline, and each gets its reply', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const first = transport.for(100)
    const second = transport.for(300)
    const set = first.command('SET', ['a:k', 'v'])
    const deleted = second.command<number>('UNLINK', ['b:k'])
    await afterTick()
    expect(client.pipelines).toHaveLength(1)
    expect(client.pipelines[0]?.commands).toEqual([
      { name: 'SET', args: ['a:k', 'v'] },
      { name: 'UNLINK', args: ['b:k'] },
    ])
    client.pipelines[0]?.answer('OK', 1)
    await expect(set).resolves.toBe('OK')
    await expect(deleted).resolves.toBe(1)
  })

  it('merges the reads of two views made in one tick into one MGET', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const first = transport.for(100).read(['a:1', 'a:2'], 'string', false)
    const second = transport.for(300).read(['b:1'], 'string', false)
    await afterTick()
    expect(client.pipelines).toHaveLength(0)
    expect(client.singles.map(({ name, args }) => [name, args])).toEqual([['MGET', ['a:1', 'a:2', 'b:1']]])
    client.singles[0]?.answer(['x', null, 'y'])
    await expect(first).resolves.toEqual({ values: ['x', null], ttls: undefined })
    await expect(second).resolves.toEqual({ values: ['y'], ttls: undefined })
  })

  it('coalesces one command per key across views, sent last, and answers each caller', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const build = (items: string[]) => ['channel', items.join(',')]
    const first = transport.for(100).coalesce('notice', 'PUBLISH', build, ['a'])
    const write = transport.for(300).command('SET', ['k', 'v'])
    const second = transport.for(300).coalesce('notice', 'PUBLISH', build, ['b'])
    await afterTick()
    expect(client.pipelines[0]?.commands).toEqual([
      { name: 'SET', args: ['k', 'v'] },
      { name: 'PUBLISH', args: ['channel', 'a,b'] },
    ])
    client.pipelines[0]?.answer('OK', 2)
    await expect(Promise.all([first, write, second])).resolves.toEqual([2, 'OK', 2])
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
    for (const sent of client.singles) sent.answer('PONG')
    await Promise.all(calls)
  })
})

describe('Transport: each call within its own cache’s timeout', () => {
  it('times out each view of one pipeline at its own deadline, and ignores the late reply', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const short = watch(transport.for(100).command('SET', ['a', '1']))
    const long = watch(transport.for(300).command('SET', ['b', '2']))
    await afterTick()
    expect(client.pipelines).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(99)
    expect([short.state, long.state]).toEqual(['pending', 'pending'])
    await vi.advanceTimersByTimeAsync(1)
    expect(short.state).toBe('rejected')
    expect(short.error).toBeInstanceOf(RedisTimeoutError)
    expect(short.error).toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 100 })
    expect(long.state).toBe('pending')
    await vi.advanceTimersByTimeAsync(200)
    expect(long.error).toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 300 })
    client.pipelines[0]?.answer('OK')
    await vi.advanceTimersByTimeAsync(0)
    expect(short.error?.message).toMatch(/within 100 ms/)
    expect(long.error?.message).toMatch(/within 300 ms/)
  })

  it('gives a late reply to the callers still waiting, and not to the one that timed out', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const short = watch(transport.for(100).command('GET', ['a']))
    const long = watch(transport.for(300).command('GET', ['b']))
    await afterTick()
    await vi.advanceTimersByTimeAsync(150)
    expect(short.error).toMatchObject({ code: 'E_TIMEOUT' })
    client.pipelines[0]?.answer('va', 'vb')
    await vi.advanceTimersByTimeAsync(0)
    expect(long).toMatchObject({ state: 'resolved', value: 'vb' })
    expect(short.state).toBe('rejected')
  })

  it('counts a pipeline that times out once for the breaker, however many callers it had', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const changes: NodeBreakerChange[] = []
    transport.breakers.join('a', breaker, (change) => changes.push(change))
    const calls = [100, 200, 300].map((ms) => watch(transport.for(ms).command('SET', [`k${ms}`, 'v'])))
    await afterTick()
    await vi.advanceTimersByTimeAsync(300)
    expect(calls.map(({ state }) => state)).toEqual(['rejected', 'rejected', 'rejected'])
    expect(changes).toEqual([])
    expect(transport.breakers.of()?.down).toBe(false)
    // A second pipeline that times out is the second failure in a row: Redis is marked down.
    const next = watch(transport.for(100).command('GET', ['k']))
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
      const call = watch(failing.command('GET', ['a:k']))
      await afterTick()
      client.singles.at(-1)?.fail(new Error('connection reset'))
      await vi.advanceTimersByTimeAsync(0)
      expect(call.error).toMatchObject({ code: 'E_REDIS' })
    }
    expect(heard).toEqual({ a: ['down'], b: ['down'] })
    const sent = client.singles.length
    const other = watch(transport.for(500).command('GET', ['b:k']))
    await afterTick()
    await vi.advanceTimersByTimeAsync(0)
    expect(other.error).toBeInstanceOf(FlipCacheError)
    expect(other.error?.message).toMatch(/marked down/)
    expect(client.singles).toHaveLength(sent)
  })

  it('stops telling a cache of changes once it leaves', async () => {
    const client = new FakeRedisClient()
    const transport = new Transport(client.asClient)
    const heard: string[] = []
    const leave = transport.breakers.join('a', { failures: 1, cooldownMs: 1000 }, (change) =>
      heard.push(change.status),
    )
    leave()
    const call = watch(transport.for(100).command('GET', ['k']))
    await afterTick()
    client.singles[0]?.fail(new Error('connection reset'))
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
  it('holds the calls of every view while the client is not ready, and sends them in order once it is', async () => {
    const client = new FakeRedisClient()
    client.status = 'reconnecting'
    const transport = new Transport(client.asClient)
    const first = transport.for(1000).command('SET', ['k', 'first'])
    await afterTick()
    const second = transport.for(2000).command('SET', ['k', 'second'])
    await afterTick()
    expect(client.singles).toHaveLength(0)
    client.becomeReady()
    // Made once the client is ready, but after the held calls: it leaves after them.
    const third = transport.for(1000).command('SET', ['k', 'third'])
    await afterTick()
    await vi.advanceTimersByTimeAsync(0)
    expect(client.singles.map(({ args }) => args[1])).toEqual(['first', 'second', 'third'])
    for (const sent of client.singles) sent.answer('OK')
    await expect(Promise.all([first, second, third])).resolves.toEqual(['OK', 'OK', 'OK'])
  })

  it('fails a waiting call after its own timeout, and never sends it', async () => {
    const client = new FakeRedisClient()
    client.status = 'connecting'
    const transport = new Transport(client.asClient)
    const short = watch(transport.for(100).command('SET', ['a', 'dropped']))
    const long = watch(transport.for(300).command('SET', ['b', 'kept']))
    await afterTick()
    await vi.advanceTimersByTimeAsync(100)
    expect(short.error).toMatchObject({ code: 'E_REDIS' })
    expect(short.error?.message).toMatch(/not ready within 100 ms \(client status `connecting`\)/)
    expect(long.state).toBe('pending')
    client.becomeReady()
    await vi.advanceTimersByTimeAsync(0)
    expect(client.singles.map(({ name, args }) => [name, args])).toEqual([['SET', ['b', 'kept']]])
    client.singles[0]?.answer('OK')
    await vi.advanceTimersByTimeAsync(0)
    expect(long).toMatchObject({ state: 'resolved', value: 'OK' })
  })

  it('drops a batch whose callers all gave up, counting it once for the breaker', async () => {
    const client = new FakeRedisClient()
    client.status = 'connecting'
    const transport = new Transport(client.asClient)
    const changes: string[] = []
    transport.breakers.join('a', { failures: 1, cooldownMs: 1000 }, (change) => changes.push(change.status))
    const calls = [
      watch(transport.for(100).command('SET', ['a', '1'])),
      watch(transport.for(200).command('SET', ['b', '2'])),
    ]
    await afterTick()
    await vi.advanceTimersByTimeAsync(200)
    expect(calls.map(({ error }) => error?.message)).toEqual([
      expect.stringMatching(/not ready within 100 ms/),
      expect.stringMatching(/not ready within 200 ms/),
    ])
    expect(changes).toEqual(['down'])
    client.becomeReady()
    await vi.advanceTimersByTimeAsync(0)
    expect(client.singles).toHaveLength(0)
    expect(client.pipelines).toHaveLength(0)
  })
})
