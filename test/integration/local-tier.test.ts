import { afterEach, describe, expect, it, vi } from 'vitest'
import { expire } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { fakeClock } from '../support/fake-clock.js'

describe('FlipCache L1', () => {
  const { cache, sharedClient } = useCaches()
  afterEach(() => {
    vi.useRealTimers()
  })

  it('get() keeps the decoded value: two hits return the same object, without a parse', async () => {
    const docs = cache<string, { list: number[] }>()
    await sharedClient().set(`${docs.name}:d`, '{"list":[1,2]}')
    const first = await docs.get('d')
    const second = await docs.get('d')
    expect(second).toBe(first)
    expect(docs.stats()).toMatchObject({ remoteHits: 1, localHits: 1 })
  })

  it('get() stops serving an L1 copy after localTtl and reads Redis again', async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string', localTtl: '10s' })
    await items.set('k', 'old')
    await sharedClient().set(`${items.name}:k`, 'new')
    clock.advance(9_999)
    expect(await items.get('k')).toBe('old')
    clock.advance(2)
    expect(await items.get('k')).toBe('new')
    expect(items.stats()).toMatchObject({ localHits: 1, remoteHits: 1 })
  })

  it('get() never serves an L1 copy past the expiry set() gave Redis, even with a longer localTtl', async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string', expireTime: expire.ONE_HOUR, localTtl: '2h' })
    await items.set('k', 'v')
    clock.advance(expire.ONE_HOUR - 1)
    expect(items.peek('k')).toBe('v')
    clock.advance(2)
    expect(items.peek('k')).toBeUndefined()
    // Redis (on real time) still has it: the read goes there.
    expect(await items.get('k')).toBe('v')
    expect(items.stats()).toMatchObject({ localHits: 0, remoteHits: 1 })
  })

  it('get() learns the Redis expiry of a key written by someone else (PTTL in the same round trip)', async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string', localTtl: '1h' })
    await sharedClient().set(`${items.name}:k`, 'v', 'PX', 200_000)
    expect(await items.get('k')).toBe('v')
    clock.advance(199_000)
    expect(items.peek('k')).toBe('v')
    clock.advance(1_500)
    expect(items.peek('k')).toBeUndefined()
  })

  it('get() misses once Redis has expired the entry, even though L1 had a copy', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: 2_000 })
    await items.set('k', 'v')
    expect(await items.get('k')).toBe('v')
    expect(items.peek('k')).toBe('v')
    await vi.waitFor(async () => expect(await sharedClient().exists(`${items.name}:k`)).toBe(0), {
      timeout: 10_000,
      interval: 50,
    })
    // L1's deadline is the write's start plus expireTime on this process's monotonic clock; Redis
    // expires on its own wall clock, and the two can disagree by a few ms (drift, a slewed clock):
    // the copy goes within that much of Redis's expiry, never a whole localTtl later.
    await vi.waitFor(() => expect(items.peek('k')).toBeUndefined(), { timeout: 1_000, interval: 5 })
    expect(await items.get('k')).toBeUndefined()
  })

  it('localTtl defaults to expireTime, and to 60 s without one', async () => {
    const clock = fakeClock()
    const timed = cache<string, string>({ valueType: 'string', expireTime: '5s' })
    const untimed = cache<string, string>({ valueType: 'string' })
    await timed.set('k', 'v')
    await untimed.set('k', 'v')
    clock.advance(5_001)
    expect(timed.peek('k')).toBeUndefined()
    expect(untimed.peek('k')).toBe('v')
    clock.advance(55_000)
    expect(untimed.peek('k')).toBeUndefined()
  })

  it('localMax: 0 sends every call to Redis and keeps nothing in process', async () => {
    const items = cache<string, string>({ valueType: 'string', localMax: 0 })
    await items.set('k', 'v')
    expect(items.peek('k')).toBeUndefined()
    expect(await items.get('k')).toBe('v')
    expect(await items.get('k')).toBe('v')
    expect(items.stats()).toMatchObject({ localHits: 0, remoteHits: 2, localSize: 0 })
  })

  it("localMax bounds L1: with localPolicy 'lru', least recently used entries are evicted", async () => {
    // Recency order is 'lru''s; the default 'tinylfu' may keep an early key seen as often (l1-policy.test.ts).
    const items = cache<number, number>({ keyType: 'int', valueType: 'int', localMax: 3, localPolicy: 'lru' })
    await items.setMany(Array.from({ length: 20 }, (_, i): [number, number] => [i, i]))
    expect(items.stats().localSize).toBeLessThanOrEqual(3)
    expect(items.peek(19)).toBe(19)
    expect(items.peek(0)).toBeUndefined()
    expect(await items.get(0)).toBe(0)
  })

  it('set(), delete() and clear() update this instance’s L1 at once', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.set('k', 'one')
    await items.set('k', 'two')
    expect(items.peek('k')).toBe('two')
    await items.delete('k')
    expect(items.peek('k')).toBeUndefined()
    await items.set('k', 'three')
    await items.clear()
    expect(items.peek('k')).toBeUndefined()
    expect(items.stats().localSize).toBe(0)
  })

  it('a read that was on its way when delete() started does not put the old value back into L1', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await sharedClient().set(`${items.name}:k`, 'old')
    const [read, deleted] = await Promise.all([items.get('k'), items.delete('k')])
    expect(read).toBe('old')
    expect(deleted).toBe(true)
    expect(items.peek('k')).toBeUndefined()
    expect(await items.get('k')).toBeUndefined()
  })

  it('a read that was on its way when clear() started does not refill L1', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await sharedClient().set(`${items.name}:k`, 'old')
    await Promise.all([items.get('k'), items.clear()])
    expect(items.peek('k')).toBeUndefined()
    expect(await items.get('k')).toBeUndefined()
  })
})

describe('FlipCache reads that join a read on its way', () => {
  const { cache } = useCaches()

  it('a caller that joins a read of a null or undefined value gets that value, not a miss', async () => {
    const json = cache<string, unknown>({ valueType: 'json', valueDefault: 'default' })
    await json.set('k', null)
    const other = cache<string, unknown>(
      { valueType: 'json', valueDefault: 'default', localMax: 0 },
      json.name,
    )
    expect(await Promise.all([other.get('k'), other.get('k')])).toEqual([null, null])
    expect(await Promise.all([other.get('k'), other.getMany(['k'])])).toEqual([null, [null]])
    const rich = cache<string, unknown>({ valueDefault: 'default', localMax: 0 })
    await rich.set('u', undefined)
    expect(await Promise.all([rich.get('u'), rich.get('u')])).toEqual([undefined, undefined])
    expect(rich.stats().misses).toBe(0)
  })
})

describe('FlipCache writes that are overtaken', () => {
  const { cache, sharedClient } = useCaches()

  it('a set() whose key is deleted before it lands does not put its value into L1', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.ready()
    const setting = items.set('k', 'v1')
    await items.delete('k')
    await setting
    expect(await sharedClient().get(`${items.name}:k`)).toBeNull()
    expect(items.peek('k')).toBeUndefined()
    expect(await items.get('k')).toBeUndefined()
  })

  it('of two set()s of one key on their way, only the later one fills L1', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.ready()
    await Promise.all([items.set('k', 'first'), items.set('k', 'second')])
    expect(items.peek('k')).toBe('second')
    expect(await sharedClient().get(`${items.name}:k`)).toBe('second')
  })
})
