import { describe, expect, it } from 'vitest'
import { CacheCore } from '../../src/core/cache-core.js'
import { CacheState } from '../../src/core/cache-state.js'
import type { Flight } from '../../src/core/reads.js'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { withHeader } from '../../src/entry/entry-header.js'
import type { FlipCacheError } from '../../src/errors.js'
import { LocalTier } from '../../src/local/local-tier.js'
import type { ReadReply } from '../../src/redis/transport-view.js'
import { StatsCounter } from '../../src/stats.js'
import { stringCodec } from '../../src/types/scalar-codecs.js'
import { manualCoreConfig } from '../support/manual-core.js'
import { ManualStore } from '../support/manual-store.js'

/** Lets every promise callback that can run, run. */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function coreOn(
  options: { expiryInValue?: boolean; localMax?: number; bucketOf?: (key: string) => string } = {},
) {
  const store = new ManualStore({ expiryInValue: options.expiryInValue ?? false })
  const state = new CacheState<string, Flight<string>>(
    new LocalTier(options.localMax ?? 100, 60_000),
    options.bucketOf,
  )
  const entries = new EntryCodec(stringCodec, undefined, (key) => store.redisKey(key))
  const stats = new StatsCounter()
  const reported: FlipCacheError[] = []
  const announced: [keys: string[], deleted: boolean][] = []
  const core = new CacheCore<string>(
    manualCoreConfig({
      store,
      state,
      entries,
      stats,
      announce: (keys, deleted) => announced.push([keys, deleted]),
      report: (error) => reported.push(error),
    }),
  )
  const peek = (key: string): string | undefined => state.peek(key, Date.now())?.value
  return { store, state, core, stats, reported, announced, peek }
}

const found = (...values: (string | null)[]): ReadReply => ({ values, ttls: values.map(() => -1) })

describe('CacheCore reads and writes, interleaved by hand', () => {
  it('get() racing set(): the old read answers its caller but never overwrites the newer write in L1', async () => {
    const { store, core, peek } = coreOn()
    const read = core.get('k')
    const write = core.write([['k', 'v2']], null)
    store.next('write').release(undefined)
    await write
    expect(peek('k')).toBe('v2')
    store.next<ReadReply>('read').release(found('v1'))
    expect(await read).toBe('v1')
    expect(peek('k')).toBe('v2')
  })

  it('get() of a key whose read is on its way joins it: one read for every caller', async () => {
    const { store, core, peek } = coreOn()
    const first = core.get('k')
    const second = core.get('k')
    const many = core.getMany(['k', 'other'])
    expect(store.waiting('read')).toBe(2)
    store.next<ReadReply>('read').release(found('v'))
    store.next<ReadReply>('read').release(found('o'))
    expect(await Promise.all([first, second, many])).toEqual(['v', 'v', ['v', 'o']])
    expect(peek('k')).toBe('v')
  })

  it('get() after a write of the key started does not join the read from before the write', async () => {
    const { store, core } = coreOn()
    const before = core.get('k')
    const write = core.write([['k', 'v2']], null)
    const after = core.get('k')
    expect(store.waiting('read')).toBe(2)
    store.next<ReadReply>('read').release(found('v1'))
    store.next('write').release(undefined)
    store.next<ReadReply>('read').release(found('v2'))
    await write
    expect(await before).toBe('v1')
    expect(await after).toBe('v2')
  })

  it('write() of a key written again meanwhile: the write that lands last but started first never fills L1', async () => {
    const { store, core, peek } = coreOn()
    const first = core.write([['k', 'first']], null)
    const second = core.write([['k', 'second']], null)
    const [firstCall, secondCall] = [store.next('write'), store.next('write')]
    secondCall.release(undefined)
    await second
    firstCall.release(undefined)
    await first
    expect(peek('k')).toBe('second')
  })

  it('remove() while a read is out keeps that read from filling L1', async () => {
    const { store, core, peek, announced } = coreOn()
    const read = core.get('k')
    const removal = core.remove(['k'])
    store.next('remove').release(1)
    expect(await removal).toBe(1)
    store.next<ReadReply>('read').release(found('old'))
    expect(await read).toBe('old')
    expect(peek('k')).toBeUndefined()
    expect(announced).toEqual([[['k'], true]])
  })

  it('a failed write drops the L1 copy: whether Redis applied it is unknown', async () => {
    const { store, core, peek } = coreOn()
    const read = core.get('k')
    store.next<ReadReply>('read').release(found('v1'))
    await read
    expect(peek('k')).toBe('v1')
    const write = core.write([['k', 'v2']], null)
    store.next('write').fail(new Error('connection lost'))
    await expect(write).rejects.toThrow('connection lost')
    expect(peek('k')).toBeUndefined()
  })

  it('write() queues its commands before it announces them, so the news leaves after the write', async () => {
    const { store, core, announced } = coreOn()
    const order: string[] = []
    const write = core.write([['k', 'v']], null)
    order.push(...store.calls.map((call) => call.method), ...announced.map(() => 'announce'))
    expect(order).toEqual(['write', 'announce'])
    store.next('write').release(undefined)
    await write
  })

  it('fills are paused until the cache hears the other instances', async () => {
    const { store, core, state, peek } = coreOn()
    state.trust(false)
    const read = core.get('k')
    store.next<ReadReply>('read').release(found('v'))
    expect(await read).toBe('v')
    expect(peek('k')).toBeUndefined()
  })
})

describe('CacheState.invalidate() while reads and writes are out', () => {
  it('a test selection (a tracked hash bucket) marks reads of keys L1 does not hold yet', async () => {
    const { store, core, state, peek } = coreOn()
    const read = core.getMany(['b1', 'b2', 'c1'])
    const held = state.invalidate((key) => key.startsWith('b'))
    expect(held).toEqual([])
    store.next<ReadReply>('read').release(found('old1', 'old2', 'c'))
    expect(await read).toEqual(['old1', 'old2', 'c'])
    expect(peek('b1')).toBeUndefined()
    expect(peek('b2')).toBeUndefined()
    expect(peek('c1')).toBe('c')
  })

  it('a test selection marks a write on its way and drops the keys L1 holds', async () => {
    const { store, core, state, peek } = coreOn()
    const read = core.get('b9')
    store.next<ReadReply>('read').release(found('kept'))
    await read
    const write = core.write([['b1', 'mine']], null)
    expect(state.invalidate((key) => key.startsWith('b'))).toEqual(['b9'])
    store.next('write').release(undefined)
    await write
    expect(peek('b1')).toBeUndefined()
    expect(peek('b9')).toBeUndefined()
  })

  it("'all' marks every read and write on its way and empties L1", async () => {
    const { store, core, state, peek } = coreOn()
    const read = core.get('r')
    const write = core.write([['w', 'v']], null)
    expect(state.invalidate('all')).toBe('all')
    store.next<ReadReply>('read').release(found('x'))
    store.next('write').release(undefined)
    await Promise.all([read, write])
    expect(peek('r')).toBeUndefined()
    expect(peek('w')).toBeUndefined()
  })

  it('a key invalidated during a read is read anew by the next caller', async () => {
    const { store, core, state } = coreOn()
    const first = core.get('k')
    state.invalidate(['k'])
    const second = core.get('k')
    expect(store.waiting('read')).toBe(2)
    store.next<ReadReply>('read').release(found('old'))
    store.next<ReadReply>('read').release(found('new'))
    expect(await first).toBe('old')
    expect(await second).toBe('new')
  })
})

describe('CacheState.invalidate() of hash buckets (an index of their keys)', () => {
  // Keys `<bucket>.<n>`: the bucket is what comes before the dot.
  const bucketOf = (key: string): string => key.slice(0, key.indexOf('.'))
  const reply = (keys: string[]): ReadReply => found(...keys.map((key) => `old ${key}`))

  it('a bucket drops its keys L1 holds and marks its reads and writes on their way, and no other bucket', async () => {
    const { store, core, state, peek } = coreOn({ bucketOf })
    const held = core.getMany(['a.1', 'a.2', 'b.1'])
    store.next<ReadReply>('read').release(reply(['a.1', 'a.2', 'b.1']))
    await held
    const reading = core.getMany(['a.3', 'b.2'])
    const writing = core.write([['a.4', 'mine']], null)
    expect(state.invalidate({ keys: ['c.1'], buckets: ['a'] })).toEqual(['c.1', 'a.1', 'a.2'])
    store.next<ReadReply>('read').release(reply(['a.3', 'b.2']))
    store.next('write').release(undefined)
    await Promise.all([reading, writing])
    for (const key of ['a.1', 'a.2', 'a.3', 'a.4']) expect(peek(key)).toBeUndefined()
    expect(peek('b.1')).toBe('old b.1')
    expect(peek('b.2')).toBe('old b.2')
  })

  it('a bucket invalidated twice, and one refilled in between, loses its keys each time', async () => {
    const { store, core, state, peek } = coreOn({ bucketOf })
    const fill = async () => {
      const read = core.get('a.1')
      store.next<ReadReply>('read').release(reply(['a.1']))
      await read
    }
    await fill()
    expect(state.invalidate({ keys: [], buckets: ['a'] })).toEqual(['a.1'])
    expect(state.invalidate({ keys: [], buckets: ['a'] })).toEqual([])
    await fill()
    expect(peek('a.1')).toBe('old a.1')
    expect(state.invalidate({ keys: [], buckets: ['a'] })).toEqual(['a.1'])
    expect(peek('a.1')).toBeUndefined()
  })

  it('keeps finding every key of a bucket across rebuilds of the index, while L1 evicts and keys come and go', async () => {
    const { store, core, state, peek } = coreOn({ bucketOf, localMax: 300 })
    // Thousands of keys pass through an L1 of 300 (quick-lru keeps up to two generations of it).
    for (let round = 0; round < 20; round++) {
      const keys = Array.from({ length: 250 }, (_, n) => `b${n % 7}.${round}-${n}`)
      const read = core.getMany(keys)
      store.next<ReadReply>('read').release(reply(keys))
      await read
      state.invalidate(keys.slice(0, 50))
    }
    const everyKey = Array.from(
      { length: 20 * 250 },
      (_, i) => `b${(i % 250) % 7}.${Math.floor(i / 250)}-${i % 250}`,
    )
    const inL1 = (bucket: string) =>
      everyKey.filter((key) => key.startsWith(`${bucket}.`) && peek(key) !== undefined)
    for (let bucket = 0; bucket < 7; bucket++) {
      const before = inL1(`b${bucket}`)
      expect(before.length).toBeGreaterThan(0)
      expect(state.invalidate({ keys: [], buckets: [`b${bucket}`] })).toEqual(expect.arrayContaining(before))
      expect(inL1(`b${bucket}`)).toEqual([])
    }
    expect(state.localSize).toBe(0)
  })

  it('without an index (a cache that expects no bucket invalidations), a bucket empties L1', async () => {
    const { store, core, state, peek } = coreOn()
    const read = core.getMany(['a.1', 'b.1'])
    store.next<ReadReply>('read').release(reply(['a.1', 'b.1']))
    await read
    expect(state.invalidate({ keys: [], buckets: ['a'] })).toBe('all')
    expect(peek('b.1')).toBeUndefined()
  })
})

describe('CacheCore with expiry in the value (hash fields)', () => {
  const expired = (value: string): string =>
    withHeader(value, Number.POSITIVE_INFINITY, undefined, Date.now() - 1000) as string

  it('get() of a field past its expiry is a miss, and only exactly what was read may be removed', async () => {
    const { store, core, peek } = coreOn({ expiryInValue: true })
    const raw = expired('old')
    const read = core.get('k')
    store.next<ReadReply>('read').release(found(raw))
    expect(await read).toBeUndefined()
    expect(store.removedExpired).toEqual([['k', raw]])
    expect(peek('k')).toBeUndefined()
  })

  it('has() and pttl() read the header: expired and malformed fields are absent, as for get()', async () => {
    const { store, core, reported } = coreOn({ expiryInValue: true })
    const cases: [string, boolean, number][] = [
      [expired('old'), false, -2],
      ['\u0000DNOT*A*TIMEvalue', false, -2],
      ['alive', true, -1],
    ]
    for (const [raw, exists, pttl] of cases) {
      const has = core.has('k')
      store.next<ReadReply>('read').release(found(raw))
      expect(await has, JSON.stringify(raw)).toBe(exists)
      const ttl = core.pttl('k')
      store.next<ReadReply>('read').release({ values: [raw], ttls: [-1] })
      expect(await ttl, JSON.stringify(raw)).toBe(pttl)
    }
    expect(reported.map((error) => error.code)).toEqual(['E_DECODE', 'E_DECODE'])
    expect(store.removedExpired).toEqual([])
  })

  it('get() of a malformed field is a miss, reported once, never removed', async () => {
    const { store, core, reported, stats } = coreOn({ expiryInValue: true })
    const read = core.get('k')
    store.next<ReadReply>('read').release(found('\u0000DNOT*A*TIMEvalue'))
    expect(await read).toBeUndefined()
    await settled()
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ code: 'E_DECODE', key: 'test:k' })
    expect(stats.misses).toBe(1)
    expect(store.removedExpired).toEqual([])
  })
})
