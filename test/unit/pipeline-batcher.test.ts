import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode, RedisTimeoutError, RedisUnavailableError } from '../../src/errors.js'
import { type BreakerChange, breakerMaker } from '../../src/remote/circuit-breaker.js'
import { PipelineBatcher, type ReadReply } from '../../src/remote/pipeline-batcher.js'
import type { Arg } from '../../src/remote/steps.js'
import { asCall, asPipeline, commandsOf, FakeRedisClient } from '../support/fake-redis-client.js'

const timeoutMs = 500

/** What became of a promise so far; `done` resolves once it settled, never rejects. */
interface Outcome<T> {
  state: 'pending' | 'fulfilled' | 'rejected'
  value: T | undefined
  error: unknown
  done: Promise<void>
}

/** Watches `promise` from now on, so that its rejection is handled at once. */
function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = {
    state: 'pending',
    value: undefined,
    error: undefined,
    done: Promise.resolve(),
  }
  outcome.done = promise.then(
    (value) => {
      outcome.state = 'fulfilled'
      outcome.value = value
    },
    (error: unknown) => {
      outcome.state = 'rejected'
      outcome.error = error
    },
  )
  return outcome
}

/** Lets the batcher's `process.nextTick` flush run (it was queued before this one). */
function nextTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve))
}

/** Lets every pending tick and promise callback run (setImmediate is not faked). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function batcherOn(client: FakeRedisClient, breaker?: { failures: number; cooldownMs: number }) {
  const changes: Array<BreakerChange & { node?: string }> = []
  const batcher = new PipelineBatcher(
    client.asRedis(),
    timeoutMs,
    breakerMaker(breaker, (change) => changes.push(change)),
  )
  return { batcher, changes }
}

function set(batcher: PipelineBatcher, key: string, value: string): Outcome<unknown> {
  return track(batcher.command<unknown>('SET', [key, value]))
}

function publishOf(items: string[]): Arg[] {
  return ['channel', items.join(',')]
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] })
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
})

afterEach(() => {
  vi.useRealTimers()
})

describe('PipelineBatcher: one round trip per tick', () => {
  it('command() calls of one tick go out as one pipeline with one exec, each caller getting its reply', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const first = set(batcher, 'a', '1')
    const second = track(batcher.command<number>('INCR', ['n']))
    const third = track(batcher.command<number>('UNLINK', ['x', 'y']))
    expect(client.trips).toHaveLength(0)

    await nextTick()
    const pipeline = client.onlyPipeline()
    expect(pipeline.execs).toBe(1)
    expect(commandsOf(pipeline)).toEqual([
      ['SET', 'a', '1'],
      ['INCR', 'n'],
      ['UNLINK', 'x', 'y'],
    ])

    pipeline.resolve([
      [null, 'OK'],
      [null, 7],
      [null, 2],
    ])
    await settle()
    expect([first.value, second.value, third.value]).toEqual(['OK', 7, 2])
  })

  it('command() alone in its tick is sent with call, not a pipeline', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    const call = client.onlyCall()
    expect(call.command).toEqual({ name: 'SET', args: ['a', '1'], reply: 'string' })
    call.resolve('OK')
    await outcome.done
    expect(outcome.value).toBe('OK')
  })

  it('command() with reply "buffer" goes through callBuffer, alone or in a pipeline', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    track(batcher.command('GET', ['a'], 'buffer'))
    await nextTick()
    expect(client.onlyCall().command.reply).toBe('buffer')

    track(batcher.command('GET', ['b'], 'buffer'))
    track(batcher.command('GET', ['c']))
    await nextTick()
    const pipeline = asPipeline(client.trips[1])
    expect(pipeline.commands.map((command) => command.reply)).toEqual(['buffer', 'string'])
  })

  it('command() calls of different ticks go out as different round trips', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    set(batcher, 'a', '1')
    await nextTick()
    set(batcher, 'b', '2')
    await nextTick()
    expect(client.trips.map(commandsOf)).toEqual([[['SET', 'a', '1']], [['SET', 'b', '2']]])
  })

  it('command() fails only the caller whose command Redis refused, with a RedisUnavailableError holding the cause', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const ok = set(batcher, 'a', '1')
    const refused = track(batcher.command('INCR', ['a']))
    await nextTick()
    const cause = new Error('WRONGTYPE Operation against a key holding the wrong kind of value')
    client.onlyPipeline().resolve([
      [null, 'OK'],
      [cause, undefined],
    ])
    await settle()
    expect(ok.value).toBe('OK')
    expect(refused.error).toBeInstanceOf(RedisUnavailableError)
    expect(refused.error).toMatchObject({ code: ErrorCode.redis, cause })
    expect((refused.error as Error).message).toContain('INCR')
  })

  it('command() fails every caller of a pipeline that failed as a whole', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcomes = [set(batcher, 'a', '1'), set(batcher, 'b', '2')]
    await nextTick()
    client.onlyPipeline().reject(new Error('Connection is closed.'))
    await settle()
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
      expect(outcome.error).toMatchObject({ code: ErrorCode.redis })
    }
  })

  it('command() fails every caller when exec() gives no replies (a discarded pipeline)', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcomes = [set(batcher, 'a', '1'), set(batcher, 'b', '2')]
    await nextTick()
    client.onlyPipeline().resolve(null)
    await settle()
    for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
  })
})

describe('PipelineBatcher: reads', () => {
  it('read() calls of one tick, adjacent, merge into one MGET and each caller gets its own values', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const first = track(batcher.read(['a'], 'string', false))
    const second = track(batcher.read(['b', 'c'], 'string', false))
    await nextTick()
    const call = client.onlyCall()
    expect(commandsOf(call)).toEqual([['MGET', 'a', 'b', 'c']])
    call.resolve(['1', null, '3'])
    await settle()
    expect(first.value).toEqual<ReadReply>({ values: ['1'], ttls: undefined })
    expect(second.value).toEqual<ReadReply>({ values: [null, '3'], ttls: undefined })
  })

  it('read() of one key alone in its tick is a GET', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcome = track(batcher.read(['a'], 'string', false))
    await nextTick()
    const call = client.onlyCall()
    expect(commandsOf(call)).toEqual([['GET', 'a']])
    call.resolve('1')
    await outcome.done
    expect(outcome.value).toEqual<ReadReply>({ values: ['1'], ttls: undefined })
  })

  it('read() calls separated by a command are not merged', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const before = track(batcher.read(['a'], 'string', false))
    set(batcher, 'b', '2')
    const after = track(batcher.read(['b'], 'string', false))
    await nextTick()
    const pipeline = client.onlyPipeline()
    expect(commandsOf(pipeline)).toEqual([
      ['GET', 'a'],
      ['SET', 'b', '2'],
      ['GET', 'b'],
    ])
    pipeline.resolve([
      [null, '1'],
      [null, 'OK'],
      [null, '2'],
    ])
    await settle()
    expect(before.value?.values).toEqual(['1'])
    expect(after.value?.values).toEqual(['2'])
  })

  it('read() with withTtl adds a PTTL per key of that read after the MGET, in the same pipeline', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const plain = track(batcher.read(['a'], 'string', false))
    const timed = track(batcher.read(['b', 'c'], 'string', true))
    await nextTick()
    const pipeline = client.onlyPipeline()
    expect(commandsOf(pipeline)).toEqual([
      ['MGET', 'a', 'b', 'c'],
      ['PTTL', 'b'],
      ['PTTL', 'c'],
    ])
    pipeline.resolve([
      [null, ['1', '2', null]],
      [null, 900],
      [null, -2],
    ])
    await settle()
    expect(plain.value).toEqual<ReadReply>({ values: ['1'], ttls: undefined })
    expect(timed.value).toEqual<ReadReply>({ values: ['2', null], ttls: [900, -2] })
  })

  it('read() calls of different reply modes are not merged, buffer reads going through callBuffer', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    track(batcher.read(['a'], 'string', false))
    track(batcher.read(['b'], 'buffer', false))
    await nextTick()
    expect(client.onlyPipeline().commands).toEqual([
      { name: 'GET', args: ['a'], reply: 'string' },
      { name: 'GET', args: ['b'], reply: 'buffer' },
    ])
  })

  it('read() callers merged into one MGET all fail when it fails', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcomes = [
      track(batcher.read(['a'], 'string', false)),
      track(batcher.read(['b'], 'string', false)),
    ]
    await nextTick()
    client.onlyCall().reject(new Error('READONLY You cannot write against a read only replica.'))
    await settle()
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
      expect((outcome.error as Error).message).toContain('MGET')
    }
  })
})

describe('PipelineBatcher: timeouts', () => {
  it('command() in a pipeline not answered within timeoutMs fails with a RedisTimeoutError (E_TIMEOUT)', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcomes = [set(batcher, 'a', '1'), set(batcher, 'b', '2')]
    await nextTick()
    client.onlyPipeline()
    vi.advanceTimersByTime(timeoutMs - 1)
    await settle()
    expect(outcomes.map((outcome) => outcome.state)).toEqual(['pending', 'pending'])

    vi.advanceTimersByTime(1)
    await settle()
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(RedisTimeoutError)
      expect(outcome.error).toMatchObject({ code: ErrorCode.timeout, timeoutMs })
    }
  })

  it('command() alone, not answered within timeoutMs, fails with a RedisTimeoutError', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    client.onlyCall()
    vi.advanceTimersByTime(timeoutMs)
    await settle()
    expect(outcome.error).toBeInstanceOf(RedisTimeoutError)
    expect((outcome.error as Error).message).toContain('SET')
  })

  it('command() ignores a reply that arrives after its timeout: the breaker it opened stays open', async () => {
    const client = new FakeRedisClient()
    const { batcher, changes } = batcherOn(client, { failures: 1, cooldownMs: 10_000 })
    const outcomes = [set(batcher, 'a', '1'), set(batcher, 'b', '2')]
    await nextTick()
    const pipeline = client.onlyPipeline()
    vi.advanceTimersByTime(timeoutMs)
    await settle()
    expect(changes.map((change) => change.status)).toEqual(['down'])

    pipeline.resolve([
      [null, 'OK'],
      [null, 'OK'],
    ])
    await settle()
    for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(RedisTimeoutError)
    expect(changes.map((change) => change.status)).toEqual(['down'])
    const later = set(batcher, 'c', '3')
    await settle()
    expect(later.error).toBeInstanceOf(RedisUnavailableError)
    expect(client.trips).toHaveLength(1)
  })

  it('command() answered in time is not failed by the timer that passes afterwards', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    client.onlyCall().resolve('OK')
    await settle()
    vi.advanceTimersByTime(timeoutMs * 4)
    await settle()
    expect(outcome.state).toBe('fulfilled')
    expect(outcome.value).toBe('OK')
  })
})

describe('PipelineBatcher: a connection that is not ready', () => {
  it('command() waits, unsent, while the client connects, and goes once it is ready', async () => {
    const client = new FakeRedisClient('connecting')
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    vi.advanceTimersByTime(timeoutMs - 1)
    await settle()
    expect(client.trips).toHaveLength(0)
    expect(outcome.state).toBe('pending')

    client.becomeReady()
    await settle()
    client.onlyCall().resolve('OK')
    await outcome.done
    expect(outcome.value).toBe('OK')
  })

  it('command() not ready within timeoutMs fails with a RedisUnavailableError and is never sent later', async () => {
    const client = new FakeRedisClient('reconnecting')
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    vi.advanceTimersByTime(timeoutMs)
    await settle()
    expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
    expect(outcome.error).toMatchObject({ code: ErrorCode.redis })
    expect((outcome.error as Error).message).toContain('reconnecting')

    client.becomeReady()
    await settle()
    expect(client.trips).toHaveLength(0)
  })

  it('command() batches released on "ready" leave in the order they were made, one round trip each', async () => {
    const client = new FakeRedisClient('connecting')
    const { batcher } = batcherOn(client)
    set(batcher, 'a', '1')
    set(batcher, 'b', '2')
    await nextTick()
    vi.advanceTimersByTime(10)
    set(batcher, 'c', '3')
    await nextTick()
    vi.advanceTimersByTime(10)
    set(batcher, 'd', '4')
    await nextTick()
    expect(client.trips).toHaveLength(0)

    client.becomeReady()
    await settle()
    expect(client.trips.map(commandsOf)).toEqual([
      [
        ['SET', 'a', '1'],
        ['SET', 'b', '2'],
      ],
      [['SET', 'c', '3']],
      [['SET', 'd', '4']],
    ])
  })

  it('command() made while earlier batches wait queues behind them, even once the status says ready', async () => {
    const client = new FakeRedisClient('connecting')
    const { batcher } = batcherOn(client)
    set(batcher, 'a', '1')
    await nextTick()
    client.status = 'ready'
    set(batcher, 'b', '2')
    await nextTick()
    expect(client.trips).toHaveLength(0)

    client.emit('ready')
    await settle()
    expect(client.trips.map(commandsOf)).toEqual([[['SET', 'a', '1']], [['SET', 'b', '2']]])
  })

  it('command() released on "ready" times out after what was left of its time', async () => {
    const client = new FakeRedisClient('connecting')
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    vi.advanceTimersByTime(300)
    client.becomeReady()
    await settle()
    client.onlyCall()
    vi.advanceTimersByTime(timeoutMs - 300 - 1)
    await settle()
    expect(outcome.state).toBe('pending')

    vi.advanceTimersByTime(1)
    await settle()
    expect(outcome.error).toBeInstanceOf(RedisTimeoutError)
    expect(outcome.error).toMatchObject({ code: ErrorCode.timeout, timeoutMs: timeoutMs - 300 })
  })

  it('command() on a client whose status is "end" fails at once with a RedisUnavailableError, unsent', async () => {
    const client = new FakeRedisClient('end')
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await settle()
    expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
    expect((outcome.error as Error).message).toContain('end')
    expect(client.trips).toHaveLength(0)
  })

  it('command() on a lazyConnect client (status "wait") starts its connection', async () => {
    const client = new FakeRedisClient('wait')
    const { batcher } = batcherOn(client)
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    expect(client.connects).toBe(1)
    client.becomeReady()
    await settle()
    client.onlyCall().resolve('OK')
    await outcome.done
    expect(outcome.value).toBe('OK')
  })
})

describe('PipelineBatcher: coalesce', () => {
  it('coalesce() collects the items of one tick into one command, sent last in the pipeline, resolving every caller', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const build = vi.fn(publishOf)
    const first = track(batcher.coalesce('sync', 'PUBLISH', build, ['a']))
    const write = set(batcher, 'a', '1')
    const second = track(batcher.coalesce('sync', 'PUBLISH', build, ['b', 'a']))
    const last = set(batcher, 'b', '2')
    await nextTick()

    expect(build).toHaveBeenCalledTimes(1)
    expect(build).toHaveBeenCalledWith(['a', 'b'])
    const pipeline = client.onlyPipeline()
    expect(commandsOf(pipeline)).toEqual([
      ['SET', 'a', '1'],
      ['SET', 'b', '2'],
      ['PUBLISH', 'channel', 'a,b'],
    ])
    pipeline.resolve([
      [null, 'OK'],
      [null, 'OK'],
      [null, 3],
    ])
    await settle()
    expect([write.value, last.value, first.value, second.value]).toEqual(['OK', 'OK', 3, 3])
  })

  it('coalesce() alone in its tick is one command sent with call', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcomes = [
      track(batcher.coalesce('sync', 'PUBLISH', publishOf, ['a'])),
      track(batcher.coalesce('sync', 'PUBLISH', publishOf, ['b'])),
    ]
    await nextTick()
    const call = client.onlyCall()
    expect(commandsOf(call)).toEqual([['PUBLISH', 'channel', 'a,b']])
    call.resolve(1)
    await settle()
    expect(outcomes.map((outcome) => outcome.value)).toEqual([1, 1])
  })

  it('coalesce() makes one command per coalescing key, and a new one in the next tick', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    track(batcher.coalesce('one', 'PUBLISH', publishOf, ['a']))
    track(batcher.coalesce('two', 'SPUBLISH', publishOf, ['b']))
    await nextTick()
    track(batcher.coalesce('one', 'PUBLISH', publishOf, ['c']))
    await nextTick()
    expect(client.trips.map(commandsOf)).toEqual([
      [
        ['PUBLISH', 'channel', 'a'],
        ['SPUBLISH', 'channel', 'b'],
      ],
      [['PUBLISH', 'channel', 'c']],
    ])
  })

  it('coalesce() fails every caller when its command fails', async () => {
    const client = new FakeRedisClient()
    const { batcher } = batcherOn(client)
    const outcomes = [
      track(batcher.coalesce('sync', 'PUBLISH', publishOf, ['a'])),
      track(batcher.coalesce('sync', 'PUBLISH', publishOf, ['b'])),
    ]
    await nextTick()
    client.onlyCall().reject(new Error('Connection is closed.'))
    await settle()
    for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
  })
})

describe('PipelineBatcher: circuit breaker', () => {
  const breaker = { failures: 2, cooldownMs: 1000 }

  /** Sends one SET and fails its round trip. */
  async function failOnce(batcher: PipelineBatcher, client: FakeRedisClient): Promise<void> {
    const outcome = set(batcher, 'a', '1')
    await nextTick()
    asCall(client.trips.at(-1)).reject(new Error('ECONNRESET'))
    await outcome.done
  }

  it('command() fails at once, unsent, once `failures` round trips failed, until a probe after the cooldown succeeds', async () => {
    const client = new FakeRedisClient()
    const { batcher, changes } = batcherOn(client, breaker)
    await failOnce(batcher, client)
    expect(changes).toEqual([])
    await failOnce(batcher, client)
    expect(changes).toHaveLength(1)
    expect(changes[0]).toMatchObject({ status: 'down' })
    expect(changes[0]).not.toHaveProperty('node')

    const fast = track(batcher.command('GET', ['x']))
    const coalesced = track(batcher.coalesce('sync', 'PUBLISH', publishOf, ['x']))
    await settle()
    expect(fast.error).toBeInstanceOf(RedisUnavailableError)
    expect((fast.error as Error).message).toContain('next probe is in 1000 ms')
    expect(coalesced.error).toBeInstanceOf(RedisUnavailableError)
    expect(client.trips).toHaveLength(2)

    vi.advanceTimersByTime(999)
    const stillFast = set(batcher, 'b', '2')
    await settle()
    expect(stillFast.error).toBeInstanceOf(RedisUnavailableError)
    expect(client.trips).toHaveLength(2)

    vi.advanceTimersByTime(1)
    const probe = set(batcher, 'c', '3')
    await nextTick()
    expect(client.trips).toHaveLength(3)
    asCall(client.trips[2]).resolve('OK')
    await probe.done
    expect(probe.value).toBe('OK')
    expect(changes.map((change) => change.status)).toEqual(['down', 'up'])

    set(batcher, 'd', '4')
    await nextTick()
    expect(client.trips).toHaveLength(4)
  })

  it('command() failures separated by a success do not open the breaker', async () => {
    const client = new FakeRedisClient()
    const { batcher, changes } = batcherOn(client, breaker)
    await failOnce(batcher, client)
    const ok = set(batcher, 'a', '1')
    await nextTick()
    asCall(client.trips.at(-1)).resolve('OK')
    await ok.done
    await failOnce(batcher, client)
    expect(changes).toEqual([])
  })

  it('command() refused by Redis inside an answered pipeline counts as Redis being up', async () => {
    const client = new FakeRedisClient()
    const { batcher, changes } = batcherOn(client, { failures: 1, cooldownMs: 1000 })
    for (let round = 0; round < 3; round++) {
      set(batcher, 'a', '1')
      track(batcher.command('INCR', ['a']))
      await nextTick()
      asPipeline(client.trips.at(-1)).resolve([
        [null, 'OK'],
        [new Error('WRONGTYPE'), undefined],
      ])
      await settle()
    }
    expect(changes).toEqual([])
    expect(client.trips).toHaveLength(3)
  })

  it('command() after a reconnection probes at once, without waiting out the cooldown', async () => {
    const client = new FakeRedisClient('reconnecting')
    const { batcher, changes } = batcherOn(client, { failures: 1, cooldownMs: 60_000 })
    const unready = set(batcher, 'a', '1')
    await nextTick()
    vi.advanceTimersByTime(timeoutMs)
    await settle()
    expect(unready.error).toBeInstanceOf(RedisUnavailableError)
    expect(changes.map((change) => change.status)).toEqual(['down'])

    const fast = set(batcher, 'b', '2')
    await settle()
    expect((fast.error as Error).message).toContain('marked down')

    client.becomeReady()
    await settle()
    const probe = set(batcher, 'c', '3')
    await nextTick()
    client.onlyCall().resolve('OK')
    await probe.done
    expect(probe.value).toBe('OK')
    expect(changes.map((change) => change.status)).toEqual(['down', 'up'])
  })
})
