import { describe, expect, it, vi } from 'vitest'
import { expire } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'

describe('FlipCache basics', () => {
  const { cache, client, sharedClient } = useCaches()

  it('get() returns what set() stored, from L1 and from another instance through Redis', async () => {
    const writer = cache<string, { name: string; tags: string[] }>()
    const reader = cache<string, { name: string; tags: string[] }>({}, writer.name)
    await writer.set('ada', { name: 'Ada', tags: ['math'] })
    expect(await writer.get('ada')).toEqual({ name: 'Ada', tags: ['math'] })
    expect(await reader.get('ada')).toEqual({ name: 'Ada', tags: ['math'] })
    expect(writer.stats()).toMatchObject({ localHits: 1, remoteHits: 0, sets: 1 })
    expect(reader.stats()).toMatchObject({ localHits: 0, remoteHits: 1 })
  })

  it('stores entry k of cache `name` as the plain Redis string `name:k` that other programs can read', async () => {
    const users = cache<number, { name: string }>({ keyType: 'int' })
    await users.set(15, { name: 'Ada' })
    expect(await sharedClient().get(`${users.name}:15`)).toBe('{"name":"Ada"}')
    await sharedClient().set(`${users.name}:16`, '{"name":"Grace"}')
    expect(await users.get(16)).toEqual({ name: 'Grace' })
  })

  it('get() returns valueDefault on a miss and never writes it to Redis', async () => {
    const counters = cache<string, number>({ valueType: 'int', valueDefault: 0 })
    expect(await counters.get('nobody')).toBe(0)
    expect(await counters.getMany(['a', 'b'])).toEqual([0, 0])
    expect(await sharedClient().exists(`${counters.name}:nobody`)).toBe(0)
    expect(await counters.has('nobody')).toBe(false)
    expect(counters.stats()).toMatchObject({ misses: 3, remoteHits: 0 })
  })

  it('get() returns undefined on a miss when there is no valueDefault', async () => {
    const plain = cache()
    expect(await plain.get('missing')).toBeUndefined()
  })

  it('has() answers from L1 without Redis, and from Redis otherwise', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.set('a', 'x')
    expect(await items.has('a')).toBe(true)
    await sharedClient().set(`${items.name}:b`, 'y')
    expect(await items.has('b')).toBe(true)
    expect(await items.has('c')).toBe(false)
  })

  it('delete() removes the entry from Redis and L1 and says whether it existed', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.set('a', 'x')
    expect(await items.delete('a')).toBe(true)
    expect(items.peek('a')).toBeUndefined()
    expect(await items.get('a')).toBeUndefined()
    expect(await items.delete('a')).toBe(false)
    expect(await sharedClient().exists(`${items.name}:a`)).toBe(0)
    expect(items.stats().deletes).toBe(1)
  })

  it('peek() returns the L1 copy only, without asking Redis', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await sharedClient().set(`${items.name}:remote`, 'r')
    expect(items.peek('remote')).toBeUndefined()
    await items.get('remote')
    expect(items.peek('remote')).toBe('r')
    await items.set('local', 'l')
    expect(items.peek('local')).toBe('l')
    expect(items.stats()).toMatchObject({ localHits: 0, remoteHits: 1 })
  })

  it('getMany() returns values in the order asked, duplicates included', async () => {
    const items = cache<string, number>({ valueType: 'int' })
    await items.setMany([
      ['a', 1],
      ['b', 2],
    ])
    expect(await items.getMany(['b', 'missing', 'a', 'b'])).toEqual([2, undefined, 1, 2])
    expect(await items.getMany([])).toEqual([])
  })

  it('setMany() writes every entry, with the default or the given expiry', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: '1h' })
    await items.setMany(
      new Map([
        ['a', 'x'],
        ['b', 'y'],
      ]),
    )
    await items.setMany([['c', 'z']], { expireTime: null })
    expect(await sharedClient().mget(`${items.name}:a`, `${items.name}:b`, `${items.name}:c`)).toEqual([
      'x',
      'y',
      'z',
    ])
    expect(await items.ttl('a')).toBeGreaterThan(expire.ONE_HOUR - 5_000)
    expect(await items.ttl('c')).toBeNull()
    expect(items.stats().sets).toBe(3)
  })

  it('setMany() writes nothing when one value does not fit the type', async () => {
    const items = cache<string, number>({ valueType: 'int' })
    await expect(
      items.setMany([
        ['a', 1],
        ['b', 1.5],
      ]),
    ).rejects.toThrow(TypeError)
    expect(await sharedClient().exists(`${items.name}:a`)).toBe(0)
    await expect(items.setMany([['a', 1, 2] as unknown as [string, number]])).rejects.toThrow(
      /\[key, value\] pair/,
    )
  })

  it('setMany() of entries without expiry also overwrites an entry that had one', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.set('a', 'old', { expireTime: '1h' })
    await items.setMany([
      ['a', 'new'],
      ['b', 'new'],
    ])
    expect(await items.ttl('a')).toBeNull()
    expect(await client().get(`${items.name}:a`)).toBe('new')
  })

  it('deleteMany() removes every key in one call and counts those that existed', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.setMany([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ])
    expect(await items.deleteMany(['a', 'b', 'a', 'missing'])).toBe(2)
    expect(await items.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, '3'])
    expect(await items.deleteMany([])).toBe(0)
  })

  it('ttl() gives the remaining ms, null without expiry, undefined for a missing key', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: expire.TEN_MINUTES })
    await items.set('timed', 'x')
    await items.set('forever', 'y', { expireTime: null })
    await items.set('short', 'z', { expireTime: '2s' })
    const remaining = await items.ttl('timed')
    expect(remaining).toBeGreaterThan(expire.TEN_MINUTES - 5_000)
    expect(remaining).toBeLessThanOrEqual(expire.TEN_MINUTES)
    expect(await items.ttl('short')).toBeLessThanOrEqual(2_000)
    expect(await items.ttl('forever')).toBeNull()
    expect(await items.ttl('missing')).toBeUndefined()
  })

  it('set() refuses a bad per-call expireTime before writing', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await expect(items.set('a', 'x', { expireTime: 0 })).rejects.toThrow(/expireTime/)
    await expect(items.set('a', 'x', { expireTime: 'soon' as '1s' })).rejects.toThrow(/'soon'/)
    await expect(items.set('a', 'x', { ttl: 5 } as never)).rejects.toThrow(/Unknown set option `ttl`/)
    expect(await sharedClient().exists(`${items.name}:a`)).toBe(0)
  })

  it('set() with an expireTime lets Redis expire the entry', async () => {
    const items = cache<string, string>({ valueType: 'string', localMax: 0 })
    await items.set('brief', 'x', { expireTime: 2_000 })
    expect(await items.get('brief')).toBe('x')
    expect(await items.ttl('brief')).toBeGreaterThan(0)
    await vi.waitFor(async () => expect(await items.get('brief')).toBeUndefined(), {
      timeout: 10_000,
      interval: 50,
    })
  })

  it('stats() reports counters and a hit rate', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    expect(items.stats()).toEqual({
      localHits: 0,
      remoteHits: 0,
      misses: 0,
      sets: 0,
      deletes: 0,
      errors: 0,
      hitRate: 0,
      localSize: 0,
      localBytes: 0,
      invalidationsReceived: 0,
      invalidationsSent: 0,
      invalidationsFailed: 0,
    })
    await items.ready()
    await items.set('a', 'x')
    await items.get('a')
    await items.get('b')
    expect(items.stats()).toMatchObject({
      localHits: 1,
      misses: 1,
      sets: 1,
      hitRate: 0.5,
      localSize: 1,
      localBytes: 1,
      invalidationsSent: 1,
      invalidationsFailed: 0,
    })
  })
})
