import diagnostics from 'node:diagnostics_channel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type InvalidationReceived,
  type InvalidationSent,
  type LoadContext,
  type LocalEviction,
  type LockEvent,
  type OperationContext,
  tracedOperations,
} from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { fakeClock } from '../support/fake-clock.js'

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error'

/** Every event of the operations' (and loads') tracing channels, with a snapshot of the context then. */
interface Seen {
  channel: string
  phase: Phase
  context: OperationContext | LoadContext
  snapshot: Record<string, unknown>
}

const unsubscribers: (() => void)[] = []
afterEach(() => {
  for (const stop of unsubscribers.splice(0)) stop()
  vi.useRealTimers()
})

/** Records every traced operation and load of the cache named `cache` from now on. */
function traceOf(cache: string): Seen[] {
  const seen: Seen[] = []
  for (const name of [...tracedOperations.map((operation) => `flipcache:${operation}`), 'flipcache:load']) {
    const channel = diagnostics.tracingChannel<unknown, OperationContext | LoadContext>(name)
    const on =
      (phase: Phase) =>
      (context: OperationContext | LoadContext): void => {
        if (context.cache === cache) seen.push({ channel: name, phase, context, snapshot: { ...context } })
      }
    const handlers = {
      start: on('start'),
      end: on('end'),
      asyncStart: on('asyncStart'),
      asyncEnd: on('asyncEnd'),
      error: on('error'),
    }
    channel.subscribe(handlers)
    unsubscribers.push(() => channel.unsubscribe(handlers))
  }
  return seen
}

/** Records what the plain channel `name` publishes for the cache named `cache`. */
function listen<T extends { cache: string }>(name: string, cache: string): T[] {
  const heard: T[] = []
  const handler = (message: unknown): void => {
    if ((message as T).cache === cache) heard.push(message as T)
  }
  diagnostics.subscribe(name, handler)
  unsubscribers.push(() => diagnostics.unsubscribe(name, handler))
  return heard
}

/** The context each traced call ended with (its asyncEnd or its error), by channel. */
function ended(seen: Seen[]): { channel: string; context: Record<string, unknown> }[] {
  return seen
    .filter(({ phase }) => phase === 'asyncEnd' || phase === 'error')
    .map(({ channel, snapshot }) => ({ channel, context: snapshot }))
}

describe('diagnostics_channel', () => {
  const { cache, client } = useCaches()

  it('traces get with the tier that answered: Redis, then L1, then a miss', async () => {
    const name = uniqueName('dc')
    const users = cache({}, name)
    await users.ready()
    await users.set('ada', { born: 1815 })
    // Another instance reads it: Redis answers first, then its L1.
    const other = cache({ redis: client() }, name)
    await other.ready()
    const seen = traceOf(name)
    expect(await other.get('ada')).toEqual({ born: 1815 })
    expect(await other.get('ada')).toEqual({ born: 1815 })
    expect(await other.get('nobody')).toBeUndefined()
    const gets = ended(seen).filter(({ channel }) => channel === 'flipcache:get')
    expect(gets.map(({ context }) => [context.key, context.tier])).toEqual([
      ['ada', 'l2'],
      ['ada', 'l1'],
      ['nobody', 'miss'],
    ])
    // One context per call, the same object from start to asyncEnd, with the result set by the channel.
    const phases = seen.filter(({ context }) => context === seen[0]?.context).map(({ phase }) => phase)
    expect(phases).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    expect(seen[0]?.snapshot).toMatchObject({ cache: name, operation: 'get', key: 'ada' })
    expect(gets[0]?.context).toMatchObject({ cache: name, operation: 'get', result: { born: 1815 } })
  })

  it('traces getMany with how many keys each tier answered', async () => {
    const name = uniqueName('dc')
    const users = cache({}, name)
    await users.ready()
    await users.setMany([
      ['a', 1],
      ['b', 2],
    ])
    const other = cache({ redis: client() }, name)
    await other.ready()
    await other.get('a')
    const seen = traceOf(name)
    // A generator: keys are read once, whether or not anyone traces.
    function* keys(): Generator<string> {
      yield* ['a', 'b', 'c']
    }
    expect(await other.getMany(keys())).toEqual([1, 2, undefined])
    expect(ended(seen)).toEqual([
      {
        channel: 'flipcache:getMany',
        context: expect.objectContaining({
          operation: 'getMany',
          keyCount: 3,
          tiers: { l1: 1, l2: 1, loader: 0, miss: 1 },
        }),
      },
    ])
  })

  it('traces a getOrSet miss, its loader run inside it, and the lock it held', async () => {
    const name = uniqueName('dc')
    const users = cache({}, name)
    await users.ready()
    const seen = traceOf(name)
    const locks = listen<LockEvent>('flipcache:lock', name)
    const value = await users.getOrSet('ada', async () => ({ born: 1815 }))
    expect(value).toEqual({ born: 1815 })
    expect(await users.getOrSet('ada', async () => ({ born: 0 }))).toEqual({ born: 1815 })
    const starts = seen.filter(({ phase }) => phase === 'start').map(({ channel }) => channel)
    expect(starts).toEqual(['flipcache:getOrSet', 'flipcache:load', 'flipcache:getOrSet'])
    const load = seen.find(({ channel, phase }) => channel === 'flipcache:load' && phase === 'asyncEnd')
    expect(load?.snapshot).toMatchObject({ cache: name, key: 'ada', keyCount: 1, background: false })
    expect(load?.snapshot.result).toEqual({ born: 1815 })
    const calls = ended(seen).filter(({ channel }) => channel === 'flipcache:getOrSet')
    expect(calls.map(({ context }) => context.tier)).toEqual(['loader', 'l1'])
    expect(calls[0]?.context.stale).toBeUndefined()
    await vi.waitFor(() => expect(locks.map(({ event }) => event)).toEqual(['acquired', 'released']))
    expect(locks[0]).toEqual({ cache: name, key: 'ada', event: 'acquired' })
  })

  it('says when getOrSet served a stale value within grace, and traces the background refresh', async () => {
    const name = uniqueName('dc')
    const clock = fakeClock()
    const users = cache({ expireTime: 80, grace: '10s' }, name)
    await users.ready()
    await users.getOrSet('ada', async () => 'first')
    // Past its freshness, within grace: served stale while the loader refreshes it.
    clock.advance(81)
    const seen = traceOf(name)
    let release: (value: string) => void = () => {}
    const refreshed = new Promise<string>((resolve) => {
      release = resolve
    })
    expect(await users.getOrSet('ada', () => refreshed)).toBe('first')
    const call = ended(seen).find(({ channel }) => channel === 'flipcache:getOrSet')
    expect(call?.context).toMatchObject({ tier: 'loader', stale: true })
    release('second')
    await vi.waitFor(() =>
      expect(
        seen.find(({ channel, phase }) => channel === 'flipcache:load' && phase === 'asyncEnd')?.snapshot,
      ).toMatchObject({ key: 'ada', background: true, result: 'second' }),
    )
  })

  it('traces getOrSetMany and wrap (as getOrSet), and the batch load', async () => {
    const name = uniqueName('dc')
    const users = cache({}, name)
    await users.ready()
    await users.set('a', 'A')
    const seen = traceOf(name)
    expect(
      await users.getOrSetMany(['a', 'b', 'c'], async (keys) => keys.map((key) => key.toUpperCase())),
    ).toEqual(['A', 'B', 'C'])
    const many = ended(seen).find(({ channel }) => channel === 'flipcache:getOrSetMany')
    expect(many?.context).toMatchObject({ keyCount: 3, tiers: { l1: 1, l2: 0, loader: 2, miss: 0 } })
    const load = ended(seen).find(({ channel }) => channel === 'flipcache:load')
    expect(load?.context).toMatchObject({ key: 'b', keyCount: 2, background: false })

    const double = users.wrap(async (n: string) => `${n}${n}`)
    expect(await double('x')).toBe('xx')
    const wrapped = ended(seen).filter(({ channel }) => channel === 'flipcache:getOrSet')
    expect(wrapped.map(({ context }) => [context.key, context.tier])).toEqual([['x', 'loader']])
  })

  it('traces writes, deletes, clear and invalidateTags with their keys', async () => {
    const name = uniqueName('dc')
    const users = cache({}, name)
    await users.ready()
    const seen = traceOf(name)
    await users.set('a', 1)
    await users.setMany([
      ['b', 2],
      ['c', 3],
    ])
    await users.delete('a')
    await users.deleteMany(['b', 'c', 'd'])
    await users.invalidateTags(['t1', 't2'])
    await users.clear()
    expect(ended(seen).map(({ channel, context }) => [channel, context.key ?? context.keyCount])).toEqual([
      ['flipcache:set', 'a'],
      ['flipcache:setMany', 2],
      ['flipcache:delete', 'a'],
      ['flipcache:deleteMany', 3],
      ['flipcache:invalidateTags', 2],
      ['flipcache:clear', undefined],
    ])
    expect(ended(seen)[2]?.context.result).toBe(true)
  })

  it('publishes a failed call on error, with the error, and keeps the rejection', async () => {
    const name = uniqueName('dc')
    const users = cache<number>({ keyType: 'int' }, name)
    await users.ready()
    const seen = traceOf(name)
    await expect(users.get(1.5)).rejects.toThrow(TypeError)
    await expect(
      users.getOrSet(2, async () => Promise.reject(new Error('source down'))),
    ).rejects.toMatchObject({
      code: 'E_LOADER',
    })
    const failures = seen.filter(({ phase }) => phase === 'error')
    expect(failures.map(({ channel, snapshot }) => [channel, snapshot.key])).toEqual([
      ['flipcache:get', undefined],
      ['flipcache:load', '2'],
      ['flipcache:getOrSet', '2'],
    ])
    expect(failures[0]?.snapshot.error).toBeInstanceOf(TypeError)
    expect(failures[2]?.snapshot.error).toMatchObject({ code: 'E_LOADER' })
  })

  it('publishes invalidations sent and received, with the delay', async () => {
    const name = uniqueName('dc')
    const writer = cache({}, name)
    const reader = cache({ redis: client() }, name)
    await Promise.all([writer.ready(), reader.ready()])
    const sent = listen<InvalidationSent>('flipcache:invalidation:sent', name)
    const received = listen<InvalidationReceived>('flipcache:invalidation:received', name)
    await Promise.all([writer.set('a', 1), writer.set('b', 2)])
    await writer.invalidateTags(['t'])
    await writer.clear()
    // Each instance hears the others' messages only: the reader receives three.
    await vi.waitFor(() => expect(received).toHaveLength(3))
    expect(sent).toEqual([
      { cache: name, kind: 'write', count: 2 },
      { cache: name, kind: 'tags', count: 1 },
      { cache: name, kind: 'clear', count: 0 },
    ])
    expect(received.map(({ kind, count }) => [kind, count])).toEqual([
      ['write', 2],
      ['tags', 1],
      ['clear', 0],
    ])
    // The tag message of a single node is published by the raising script, timed by the server's clock.
    for (const { delayMs } of received) {
      expect(delayMs).toBeGreaterThanOrEqual(0)
      expect(delayMs).toBeLessThan(60_000)
    }
  })

  it('publishes tracking invalidations as received', async () => {
    const name = uniqueName('dc')
    const writer = cache({ sync: 'tracking' }, name)
    const reader = cache({ sync: 'tracking', redis: client() }, name)
    await Promise.all([writer.ready(), reader.ready()])
    await writer.set('a', 1)
    expect(await reader.get('a')).toBe(1)
    const received = listen<InvalidationReceived>('flipcache:invalidation:received', name)
    await writer.set('a', 2)
    await vi.waitFor(() => expect(received.some(({ kind }) => kind === 'tracking')).toBe(true))
    expect(received.find(({ kind }) => kind === 'tracking')).toEqual({
      cache: name,
      kind: 'tracking',
      count: 1,
      delayMs: undefined,
    })
  })

  it('publishes L1 evictions for room only', async () => {
    const name = uniqueName('dc')
    const users = cache({ localMax: 2 }, name)
    await users.ready()
    const evicted = listen<LocalEviction>('flipcache:l1:evict', name)
    await users.setMany([
      ['a', 1],
      ['b', 2],
    ])
    await users.delete('a')
    expect(evicted).toEqual([])
    await users.setMany([
      ['c', 3],
      ['d', 4],
      ['e', 5],
    ])
    expect(evicted.length).toBeGreaterThan(0)
    for (const { key } of evicted) expect(users.peek(key)).toBeUndefined()
  })
})
