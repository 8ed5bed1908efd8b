import { ReplyError } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode, RedisTimeoutError, RedisUnavailableError } from '../../src/errors.js'
import type { NodeBreakerChange } from '../../src/redis/breakers.js'
import type { BreakerSettings } from '../../src/redis/circuit-breaker.js'
import type { Arg, ReadReply } from '../../src/redis/steps.js'
import { Transport } from '../../src/redis/transport.js'
import type { TransportView } from '../../src/redis/transport-view.js'
import {
  afterTick,
  asCall,
  asPipeline,
  commandsOf,
  FakeRedisClient,
  idle,
  type Outcome,
  track,
} from '../support/fake-redis-client.js'

/**
 * The calls of one cache (one view of its client's transport), one at a time: how they are sent,
 * answered, timed out, held while the client is not ready, coalesced, and counted by the client's
 * circuit breaker. What the caches of one client share is in transport.test.ts.
 */

const timeoutMs = 500

/** A cache's view of a transport on `client`; with `breaker`, the cache joined the client's breakers with it. */
function viewOn(client: FakeRedisClient, breaker?: BreakerSettings) {
  const transport = new Transport(client.asClient)
  const changes: NodeBreakerChange[] = []
  if (breaker !== undefined) transport.breakers.join('cache', breaker, (change) => changes.push(change))
  return { view: transport.for(timeoutMs), changes }
}

function set(view: TransportView, key: string, value: string): Outcome<unknown> {
  return track(view.command<unknown>('SET', [key, value]))
}

function publishOf(items: string[]): Arg[] {
  return ['channel', items.join(',')]
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  })
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
})

afterEach(() => {
  vi.useRealTimers()
})

describe('TransportView: one round trip per tick', () => {
  it('command() alone in its tick is sent with call, not a pipeline', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcome = set(view, 'a', '1')
    await afterTick()
    const call = client.onlyCall()
    expect(call.command).toEqual({ name: 'SET', args: ['a', '1'], reply: 'string' })
    call.resolve('OK')
    await outcome.done
    expect(outcome.value).toBe('OK')
  })

  it('command() with reply "buffer" goes through callBuffer, alone or in a pipeline', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    track(view.command('GET', ['a'], 'buffer'))
    await afterTick()
    expect(client.onlyCall().command.reply).toBe('buffer')

    track(view.command('GET', ['b'], 'buffer'))
    track(view.command('GET', ['c']))
    await afterTick()
    const pipeline = asPipeline(client.trips[1])
    expect(pipeline.commands.map((command) => command.reply)).toEqual(['buffer', 'string'])
  })

  it('command() calls of different ticks go out as different round trips', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    set(view, 'a', '1')
    await afterTick()
    set(view, 'b', '2')
    await afterTick()
    expect(client.trips.map(commandsOf)).toEqual([[['SET', 'a', '1']], [['SET', 'b', '2']]])
  })

  it('command() fails only the caller whose command Redis refused, with a RedisUnavailableError holding the cause', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const ok = set(view, 'a', '1')
    const refused = track(view.command('INCR', ['a']))
    await afterTick()
    const cause = new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')
    client.onlyPipeline().resolve([
      [null, 'OK'],
      [cause, undefined],
    ])
    await idle()
    expect(ok.value).toBe('OK')
    expect(refused.error).toBeInstanceOf(RedisUnavailableError)
    expect(refused.error).toMatchObject({ code: ErrorCode.redis, cause })
    expect(refused.error?.message).toContain('INCR')
  })

  it('command() fails every caller of a pipeline that failed as a whole', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcomes = [set(view, 'a', '1'), set(view, 'b', '2')]
    await afterTick()
    client.onlyPipeline().reject(new Error('Connection is closed.'))
    await idle()
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
      expect(outcome.error).toMatchObject({ code: ErrorCode.redis })
    }
  })

  it('command() fails every caller of a round trip one of whose commands lost its connection, those answered first too', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcomes = [set(view, 'a', '1'), set(view, 'b', '2')]
    await afterTick()
    client.onlyPipeline().resolve([
      [null, 'OK'],
      [new Error('Connection is closed.'), undefined],
    ])
    await idle()
    // Callers hear back once the whole round trip is in, as with a pipeline: the first write's
    // caller cannot know that the round trip it rode in came back whole.
    for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
  })
})

describe('TransportView: reads', () => {
  it('read() of one key alone in its tick is a GET', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcome = track(view.read(['a'], 'string', false))
    await afterTick()
    const call = client.onlyCall()
    expect(commandsOf(call)).toEqual([['GET', 'a']])
    call.resolve('1')
    await outcome.done
    expect(outcome.value).toEqual<ReadReply>({ values: ['1'], ttls: undefined })
  })

  it('read() calls separated by a command are not merged', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const before = track(view.read(['a'], 'string', false))
    set(view, 'b', '2')
    const after = track(view.read(['b'], 'string', false))
    await afterTick()
    const pipeline = client.onlyPipeline()
    expect(commandsOf(pipeline)).toEqual([
      ['GET', 'a'],
      ['SET', 'b', '2'],
      ['GET', 'b'],
    ])
    pipeline.answer('1', 'OK', '2')
    await idle()
    expect(before.value?.values).toEqual(['1'])
    expect(after.value?.values).toEqual(['2'])
  })

  it('read() with withTtl adds a PTTL per key of that read after the MGET, in the same pipeline', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const plain = track(view.read(['a'], 'string', false))
    const timed = track(view.read(['b', 'c'], 'string', true))
    await afterTick()
    const pipeline = client.onlyPipeline()
    expect(commandsOf(pipeline)).toEqual([
      ['MGET', 'a', 'b', 'c'],
      ['PTTL', 'b'],
      ['PTTL', 'c'],
    ])
    pipeline.answer(['1', '2', null], 900, -2)
    await idle()
    expect(plain.value).toEqual<ReadReply>({ values: ['1'], ttls: undefined })
    expect(timed.value).toEqual<ReadReply>({ values: ['2', null], ttls: [900, -2] })
  })

  it('read() calls of different reply modes are not merged, buffer reads going through callBuffer', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    track(view.read(['a'], 'string', false))
    track(view.read(['b'], 'buffer', false))
    await afterTick()
    expect(client.onlyPipeline().commands).toEqual([
      { name: 'GET', args: ['a'], reply: 'string' },
      { name: 'GET', args: ['b'], reply: 'buffer' },
    ])
  })

  it('read() callers merged into one MGET all fail when it fails', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcomes = [track(view.read(['a'], 'string', false)), track(view.read(['b'], 'string', false))]
    await afterTick()
    client.onlyCall().reject(new Error('READONLY You cannot write against a read only replica.'))
    await idle()
    for (const outcome of outcomes) {
      expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
      expect(outcome.error?.message).toContain('MGET')
    }
  })
})

describe('TransportView: timeouts', () => {
  it('command() alone, not answered within timeoutMs, fails with a RedisTimeoutError naming it', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcome = set(view, 'a', '1')
    await afterTick()
    client.onlyCall()
    vi.advanceTimersByTime(timeoutMs - 1)
    await idle()
    expect(outcome.state).toBe('pending')

    vi.advanceTimersByTime(1)
    await idle()
    expect(outcome.error).toBeInstanceOf(RedisTimeoutError)
    expect(outcome.error).toMatchObject({ code: ErrorCode.timeout, timeoutMs })
    expect(outcome.error?.message).toContain('SET')
  })

  it('command() ignores a reply that arrives after its timeout: the breaker it opened stays open', async () => {
    const client = new FakeRedisClient()
    const { view, changes } = viewOn(client, { failures: 1, cooldownMs: 10_000 })
    const outcomes = [set(view, 'a', '1'), set(view, 'b', '2')]
    await afterTick()
    const pipeline = client.onlyPipeline()
    vi.advanceTimersByTime(timeoutMs)
    await idle()
    expect(changes.map((change) => change.status)).toEqual(['down'])

    pipeline.answer('OK')
    await idle()
    for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(RedisTimeoutError)
    expect(changes.map((change) => change.status)).toEqual(['down'])
    const later = set(view, 'c', '3')
    await idle()
    expect(later.error).toBeInstanceOf(RedisUnavailableError)
    expect(client.trips).toHaveLength(1)
  })

  it('command() answered in time is not failed by the timer that passes afterwards', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcome = set(view, 'a', '1')
    await afterTick()
    client.onlyCall().resolve('OK')
    await idle()
    vi.advanceTimersByTime(timeoutMs * 4)
    await idle()
    expect(outcome.state).toBe('fulfilled')
    expect(outcome.value).toBe('OK')
  })
})

describe('TransportView: a connection that is not ready', () => {
  it('command() waits, unsent, while the client connects, and goes once it is ready', async () => {
    const client = new FakeRedisClient('connecting')
    const { view } = viewOn(client)
    const outcome = set(view, 'a', '1')
    await afterTick()
    vi.advanceTimersByTime(timeoutMs - 1)
    await idle()
    expect(client.trips).toHaveLength(0)
    expect(outcome.state).toBe('pending')

    client.becomeReady()
    await idle()
    client.onlyCall().resolve('OK')
    await outcome.done
    expect(outcome.value).toBe('OK')
  })

  it('command() made while earlier batches wait queues behind them, even once the status says ready', async () => {
    const client = new FakeRedisClient('connecting')
    const { view } = viewOn(client)
    set(view, 'a', '1')
    await afterTick()
    client.status = 'ready'
    set(view, 'b', '2')
    await afterTick()
    expect(client.trips).toHaveLength(0)

    client.emit('ready')
    await idle()
    expect(client.trips.map(commandsOf)).toEqual([[['SET', 'a', '1']], [['SET', 'b', '2']]])
  })

  it('command() released on "ready" times out when its timeout, counted from its tick, runs out', async () => {
    const client = new FakeRedisClient('connecting')
    const { view } = viewOn(client)
    const outcome = set(view, 'a', '1')
    await afterTick()
    vi.advanceTimersByTime(300)
    client.becomeReady()
    await idle()
    client.onlyCall()
    vi.advanceTimersByTime(timeoutMs - 300 - 1)
    await idle()
    expect(outcome.state).toBe('pending')

    vi.advanceTimersByTime(1)
    await idle()
    expect(outcome.error).toBeInstanceOf(RedisTimeoutError)
    expect(outcome.error).toMatchObject({ code: ErrorCode.timeout, timeoutMs })
  })

  it('command() on a client whose status is "end" fails at once with a RedisUnavailableError, unsent', async () => {
    const client = new FakeRedisClient('end')
    const { view } = viewOn(client)
    const outcome = set(view, 'a', '1')
    await idle()
    expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
    expect(outcome.error?.message).toContain('end')
    expect(client.trips).toHaveLength(0)
  })

  it('command() on a lazyConnect client (status "wait") starts its connection', async () => {
    const client = new FakeRedisClient('wait')
    const { view } = viewOn(client)
    const outcome = set(view, 'a', '1')
    await afterTick()
    expect(client.connects).toBe(1)
    client.becomeReady()
    await idle()
    client.onlyCall().resolve('OK')
    await outcome.done
    expect(outcome.value).toBe('OK')
  })
})

describe('TransportView: coalesce', () => {
  it('coalesce() alone in its tick is one command sent with call', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    const outcomes = [
      track(view.coalesce('sync', 'PUBLISH', publishOf, ['a'])),
      track(view.coalesce('sync', 'PUBLISH', publishOf, ['b'])),
    ]
    await afterTick()
    const call = client.onlyCall()
    expect(commandsOf(call)).toEqual([['PUBLISH', 'channel', 'a,b']])
    call.resolve(1)
    await idle()
    expect(outcomes.map((outcome) => outcome.value)).toEqual([1, 1])
  })

  it('coalesce() makes one command per coalescing key, and a new one in the next tick', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client)
    track(view.coalesce('one', 'PUBLISH', publishOf, ['a']))
    track(view.coalesce('two', 'SPUBLISH', publishOf, ['b']))
    await afterTick()
    track(view.coalesce('one', 'PUBLISH', publishOf, ['c']))
    await afterTick()
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
    const { view } = viewOn(client)
    const outcomes = [
      track(view.coalesce('sync', 'PUBLISH', publishOf, ['a'])),
      track(view.coalesce('sync', 'PUBLISH', publishOf, ['b'])),
    ]
    await afterTick()
    client.onlyCall().reject(new Error('Connection is closed.'))
    await idle()
    for (const outcome of outcomes) expect(outcome.error).toBeInstanceOf(RedisUnavailableError)
  })
})

describe('TransportView: the client’s circuit breaker', () => {
  const breaker = { failures: 2, cooldownMs: 1000 }

  /** Sends one SET and fails its round trip. */
  async function failOnce(view: TransportView, client: FakeRedisClient): Promise<void> {
    const outcome = set(view, 'a', '1')
    await afterTick()
    asCall(client.trips.at(-1)).reject(new Error('ECONNRESET'))
    await outcome.done
  }

  it('command() fails at once, unsent, once `failures` round trips failed, until a probe after the cooldown succeeds', async () => {
    const client = new FakeRedisClient()
    const { view, changes } = viewOn(client, breaker)
    await failOnce(view, client)
    expect(changes).toEqual([])
    await failOnce(view, client)
    expect(changes).toHaveLength(1)
    expect(changes[0]).toMatchObject({ status: 'down' })
    expect(changes[0]).not.toHaveProperty('node')

    const fast = track(view.command('GET', ['x']))
    const coalesced = track(view.coalesce('sync', 'PUBLISH', publishOf, ['x']))
    await idle()
    expect(fast.error).toBeInstanceOf(RedisUnavailableError)
    expect(fast.error?.message).toContain('next probe is in 1000 ms')
    expect(coalesced.error).toBeInstanceOf(RedisUnavailableError)
    expect(client.trips).toHaveLength(2)

    vi.advanceTimersByTime(999)
    const stillFast = set(view, 'b', '2')
    await idle()
    expect(stillFast.error).toBeInstanceOf(RedisUnavailableError)
    expect(client.trips).toHaveLength(2)

    vi.advanceTimersByTime(1)
    const probe = set(view, 'c', '3')
    await afterTick()
    expect(client.trips).toHaveLength(3)
    asCall(client.trips[2]).resolve('OK')
    await probe.done
    expect(probe.value).toBe('OK')
    expect(changes.map((change) => change.status)).toEqual(['down', 'up'])

    set(view, 'd', '4')
    await afterTick()
    expect(client.trips).toHaveLength(4)
  })

  it('command() failures separated by a success do not open the breaker', async () => {
    const client = new FakeRedisClient()
    const { view, changes } = viewOn(client, breaker)
    await failOnce(view, client)
    const ok = set(view, 'a', '1')
    await afterTick()
    asCall(client.trips.at(-1)).resolve('OK')
    await ok.done
    await failOnce(view, client)
    expect(changes).toEqual([])
    expect(client.trips).toHaveLength(3)
  })

  it('command() refused by Redis inside an answered pipeline counts as Redis being up', async () => {
    const client = new FakeRedisClient()
    const { view, changes } = viewOn(client, { failures: 1, cooldownMs: 1000 })
    for (let round = 0; round < 3; round++) {
      set(view, 'a', '1')
      track(view.command('INCR', ['a']))
      await afterTick()
      asPipeline(client.trips.at(-1)).resolve([
        [null, 'OK'],
        [new ReplyError('WRONGTYPE'), undefined],
      ])
      await idle()
    }
    expect(changes).toEqual([])
    expect(client.trips).toHaveLength(3)
  })

  it('command() past the cooldown: exactly one probe goes, the other callers fail at once until it is answered', async () => {
    const client = new FakeRedisClient()
    const { view, changes } = viewOn(client, breaker)
    await failOnce(view, client)
    await failOnce(view, client)
    vi.advanceTimersByTime(1000)
    // Many callers, in several ticks, while the probe is out: only the probe is sent.
    const probe = set(view, 'p', '1')
    await afterTick()
    const others: Outcome<unknown>[] = []
    for (let tick = 0; tick < 5; tick++) {
      others.push(set(view, `k${tick}`, 'v'), track(view.command('GET', [`k${tick}`])))
      await idle()
    }
    expect(client.trips).toHaveLength(3)
    for (const other of others) expect(other.error?.message).toContain('marked down')
    asCall(client.trips[2]).resolve('OK')
    await probe.done
    expect(changes.map((change) => change.status)).toEqual(['down', 'up'])
    set(view, 'after', '1')
    await afterTick()
    expect(client.trips).toHaveLength(4)
  })

  it('command() whose probe fails waits a doubled cooldown; late failures of earlier round trips do not', async () => {
    const client = new FakeRedisClient()
    const { view } = viewOn(client, breaker)
    // Three round trips out at once; two fail (opening the breaker), one fails later.
    const outs = [set(view, 'a', '1')]
    await afterTick()
    outs.push(set(view, 'b', '1'))
    await afterTick()
    outs.push(set(view, 'c', '1'))
    await afterTick()
    asCall(client.trips[0]).reject(new Error('ECONNRESET'))
    asCall(client.trips[1]).reject(new Error('ECONNRESET'))
    await idle()
    vi.advanceTimersByTime(600)
    asCall(client.trips[2]).reject(new Error('ECONNRESET'))
    await idle()
    // The late failure was no probe: the probe is still due 1000 ms after the breaker opened.
    vi.advanceTimersByTime(400)
    const probe = set(view, 'p', '1')
    await afterTick()
    expect(client.trips).toHaveLength(4)
    asCall(client.trips[3]).reject(new Error('ECONNRESET'))
    await probe.done
    vi.advanceTimersByTime(1999)
    const refused = set(view, 'q', '1')
    await idle()
    expect(refused.error?.message).toContain('next probe is in 1 ms')
    vi.advanceTimersByTime(1)
    set(view, 'r', '1')
    await afterTick()
    expect(client.trips).toHaveLength(5)
  })

  it('command() answered with an error reply (WRONGTYPE, OOM) never counts as a failure: Redis answered', async () => {
    const client = new FakeRedisClient()
    const { view, changes } = viewOn(client, { failures: 1, cooldownMs: 1000 })
    for (const message of [
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      'OOM command not allowed',
    ]) {
      const refused = track(view.command('GET', ['k']))
      await afterTick()
      const reply = Object.assign(new Error(message), { name: 'ReplyError' })
      asCall(client.trips.at(-1)).reject(reply)
      await refused.done
      expect(refused.error).toBeInstanceOf(Error)
    }
    const healthy = track(view.command('GET', ['other']))
    await afterTick()
    asCall(client.trips.at(-1)).resolve('v')
    await healthy.done
    expect(healthy.value).toBe('v')
    expect(changes).toEqual([])
  })

  it('command() after a reconnection probes at once, without waiting out the cooldown', async () => {
    const client = new FakeRedisClient('reconnecting')
    const { view, changes } = viewOn(client, { failures: 1, cooldownMs: 60_000 })
    const unready = set(view, 'a', '1')
    await afterTick()
    vi.advanceTimersByTime(timeoutMs)
    await idle()
    expect(unready.error).toBeInstanceOf(RedisUnavailableError)
    expect(changes.map((change) => change.status)).toEqual(['down'])

    const fast = set(view, 'b', '2')
    await idle()
    expect(fast.error?.message).toContain('marked down')

    client.becomeReady()
    await idle()
    const probe = set(view, 'c', '3')
    await afterTick()
    client.onlyCall().resolve('OK')
    await probe.done
    expect(probe.value).toBe('OK')
    expect(changes.map((change) => change.status)).toEqual(['down', 'up'])
  })
})
