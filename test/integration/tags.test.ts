import { Redis } from 'ioredis'
import { describe, expect, inject, it, vi } from 'vitest'
import type { FlipCache } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

describe('tags', () => {
  const { cache, client } = useCaches()

  /** Two instances of one namespace, each on a client of its own, listening. */
  async function pair<V = unknown>(options = {}): Promise<[FlipCache<string, V>, FlipCache<string, V>]> {
    const name = uniqueName('tags')
    const a = cache<string, V>({ redis: client(), ...options }, name)
    const b = cache<string, V>({ redis: client(), ...options }, name)
    await Promise.all([a.ready(), b.ready()])
    return [a, b]
  }

  it('invalidateTags makes every entry carrying a tag a miss, in Redis and in every L1, and leaves the others', async () => {
    const [a, b] = await pair()
    await a.set('p1', { n: 1 }, { tags: ['product', 'p1'] })
    await a.setMany(
      [
        ['p2', { n: 2 }],
        ['p3', { n: 3 }],
      ],
      { tags: ['product'] },
    )
    await a.set('other', 'kept')
    // b reads them into its L1.
    expect(await b.getMany(['p1', 'p2', 'p3', 'other'])).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, 'kept'])
    expect(b.peek('p1')).toEqual({ n: 1 })

    await a.invalidateTags(['product'])
    expect(await a.get('p1')).toBeUndefined()
    expect(await a.has('p2')).toBe(false)
    expect(await a.ttl('p3')).toBeUndefined()
    await vi.waitFor(() => expect(b.peek('p1')).toBeUndefined())
    expect(await b.getMany(['p1', 'p2', 'p3', 'other'])).toEqual([undefined, undefined, undefined, 'kept'])

    // A new value written after the invalidation stands.
    await b.set('p1', { n: 10 }, { tags: ['product'] })
    expect(await a.get('p1')).toEqual({ n: 10 })
    const entries: [string, unknown][] = []
    for await (const entry of a.entries()) entries.push(entry)
    expect(entries.sort()).toEqual([
      ['other', 'kept'],
      ['p1', { n: 10 }],
    ])
  })

  it('a fresh instance that never met the tag judges entries by its counts in Redis', async () => {
    const name = uniqueName('tags')
    const writer = cache<string, string>({ redis: client(), valueType: 'string' }, name)
    await writer.set('k', 'v', { tags: ['t'] })
    await writer.invalidateTags(['t'])
    await writer.set('k2', 'v2', { tags: ['t'] })
    const fresh = cache<string, string>({ redis: client(), valueType: 'string' }, name)
    expect(await fresh.getMany(['k', 'k2'])).toEqual([undefined, 'v2'])
    const noL1 = cache<string, string>({ redis: client(), valueType: 'string', localMax: 0 }, name)
    expect(await noL1.get('k')).toBeUndefined()
    expect(await noL1.get('k2')).toBe('v2')
    await writer.invalidateTags(['t'])
    expect(await noL1.get('k2')).toBeUndefined()
  })

  it("mode 'expire' leaves the entries stale: get() misses them, getOrSet serves them within grace while it reloads", async () => {
    const [a, b] = await pair<string>({ valueType: 'string' })
    await a.getOrSet('k', () => 'first', { expireTime: '1h', grace: '1h' })
    await a.set('tagged', 'x', { tags: ['t'] })
    // getOrSet values carry the tags given with set(); here a set with tags and grace via getOrSet's own write is not needed.
    await a.set('k', 'old', { tags: ['t'] })
    expect(await b.get('k')).toBe('old')
    await a.invalidateTags(['t'], { mode: 'expire' })
    await vi.waitFor(() => expect(b.peek('k')).toBeUndefined())
    expect(await b.get('tagged')).toBeUndefined()
    const loader = vi.fn(() => 'new')
    // Stale within its Redis life: served at once, reloaded in the background.
    expect(await b.getOrSet('k', loader)).toBe('old')
    await vi.waitFor(async () => expect(await a.get('k')).toBe('new'))
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('costs no extra round trip on an L1 hit, and none on a Redis read once the tag is known', async () => {
    const redis = client()
    const name = uniqueName('tags')
    const writer = cache<string, string>({ redis: client(), valueType: 'string' }, name)
    await writer.set('k', 'v', { tags: ['t'] })
    // No heartbeat: its PUBLISH would ride this client too.
    const reader = cache<string, string>({ redis, valueType: 'string', maxStaleness: false }, name)
    await reader.ready()
    const trips = countRoundTrips(redis)
    expect(await reader.get('k')).toBe('v') // first meeting of 't': the value, then its counts
    expect(trips.count).toBe(2)
    expect(await reader.get('k')).toBe('v') // L1 hit
    expect(trips.count).toBe(2)
    await writer.set('k', 'w', { tags: ['t'] })
    await vi.waitFor(() => expect(reader.peek('k')).toBeUndefined())
    const before = trips.count
    expect(await reader.get('k')).toBe('w') // the counts of 't' are known: one round trip
    expect(trips.count - before).toBe(1)
    // On a single node, invalidateTags raises the counts and tells the others in one script.
    const beforeInvalidation = trips.count
    await reader.invalidateTags(['t', 'u', 'ü/"quoted"'])
    expect(trips.count - beforeInvalidation).toBe(1)
    await vi.waitFor(async () => expect(await writer.get('k')).toBeUndefined())
  })

  it('invalidateTags does O(tags) work in Redis: one HINCRBY per tag, whatever number of entries carry it', async () => {
    const admin = new Redis(inject('redisUrl'))
    try {
      const tagged = cache<string, number>({ valueType: 'json' })
      await tagged.setMany(
        Array.from({ length: 500 }, (_, i): [string, number] => [`k${i}`, i]),
        { tags: ['all'] },
      )
      await tagged.invalidateTags(['all'])
      expect(await admin.hgetall(`_tag:${tagged.name}:all`)).toEqual({ h: '1' })
      await tagged.invalidateTags(['all'], { mode: 'expire' })
      expect(await admin.hgetall(`_tag:${tagged.name}:all`)).toEqual({ h: '1', s: '1' })
      // The entries are still in Redis (until their TTL), and none is served.
      expect(await admin.exists(`${tagged.name}:k0`)).toBe(1)
      expect(await tagged.getMany(['k0', 'k499'])).toEqual([undefined, undefined])
    } finally {
      admin.disconnect()
    }
  })

  it('tagPrefix moves the tag hashes', async () => {
    const admin = new Redis(inject('redisUrl'))
    try {
      const c = cache<string, string>({ valueType: 'string', tagPrefix: 'tg:' })
      await c.set('k', 'v', { tags: ['t'] })
      await c.invalidateTags(['t'])
      expect(await admin.hgetall(`tg:${c.name}:t`)).toEqual({ h: '1' })
      expect(await admin.exists(`_tag:${c.name}:t`)).toBe(0)
      expect(await c.get('k')).toBeUndefined()
    } finally {
      admin.disconnect()
    }
  })

  it('another program can invalidate a tag: HINCRBY on the tag key (seen within localTtl), plus a message to be seen at once', async () => {
    const admin = new Redis(inject('redisUrl'))
    try {
      const [a] = await pair<string>({ valueType: 'string' })
      await a.set('k', 'v', { tags: ['t'] })
      expect(await a.get('k')).toBe('v')
      await admin.hincrby(`_tag:${a.name}:t`, 'h', 1)
      await admin.publish(`${a.name}:__sync`, JSON.stringify({ o: 'other', e: 't', t: [['t', 1, 0]] }))
      await vi.waitFor(() => expect(a.peek('k')).toBeUndefined())
      expect(await a.get('k')).toBeUndefined()
    } finally {
      admin.disconnect()
    }
  })

  it('works with hash buckets, and refuses tags where entries carry no header', async () => {
    const name = uniqueName('tags')
    const options = {
      valueType: 'string',
      keyType: 'int',
      storage: { kind: 'hash', bucketSize: 10 },
    } as const
    const a = cache<number, string>({ redis: client(), ...options }, name)
    const b = cache<number, string>({ redis: client(), ...options }, name)
    await Promise.all([a.ready(), b.ready()])
    await a.set(1, 'v1', { tags: ['t'] })
    await a.set(2, 'v2')
    expect(await b.getMany([1, 2])).toEqual(['v1', 'v2'])
    await a.invalidateTags(['t'])
    await vi.waitFor(() => expect(b.peek(1)).toBeUndefined())
    expect(await b.getMany([1, 2])).toEqual([undefined, 'v2'])
    const bare = cache<number, string>({
      valueType: 'string',
      keyType: 'int',
      storage: { kind: 'hash', bucketSize: 10, entryExpiry: 'bucket' },
      expireTime: '1h',
    })
    await expect(bare.set(1, 'v', { tags: ['t'] })).rejects.toThrow(/entryExpiry: 'bucket'/)
  })

  it('bad input is a TypeError naming it', async () => {
    const c = cache<string, string>({ valueType: 'string' })
    await expect(c.set('k', 'v', { tags: 'solo' as never })).rejects.toThrow(TypeError)
    await expect(c.set('k', 'v', { tags: [''] })).rejects.toThrow(/non-empty string/)
    await expect(c.set('k', 'v', { tag: ['x'] } as never)).rejects.toThrow(/Unknown set option `tag`/)
    await expect(c.invalidateTags(['t'], { mode: 'soft' as never })).rejects.toThrow(/'delete' or 'expire'/)
    await expect(c.invalidateTags(7 as never)).rejects.toThrow(TypeError)
    expect(() => cache({ tagPrefix: '' })).toThrow(/tagPrefix/)
    expect(() => cache({}, '_tag')).toThrow(/tag keys/)
  })

  it('hostile tag data in Redis is a miss, never a crash', async () => {
    const admin = new Redis(inject('redisUrl'))
    try {
      const c = cache<string, string>({ valueType: 'string' })
      await admin.set(`${c.name}:bad`, '\0H005a=x.0v')
      expect(await c.get('bad')).toBeUndefined()
      await c.set('k', 'v', { tags: ['t'] })
      await admin.hset(`_tag:${c.name}:t`, 'h', 'not-a-number')
      const fresh = cache<string, string>({ valueType: 'string' }, c.name)
      expect(await fresh.get('k')).toBeUndefined()
    } finally {
      admin.disconnect()
    }
  })

  it("getOrSet stores what it loads with the call's tags and those the loader adds; getOrSetMany with the call's", async () => {
    const [a, b] = await pair<string>({ valueType: 'string' })
    expect(await a.getOrSet('one', () => 'v1', { tags: ['t'] })).toBe('v1')
    expect(
      await a.getOrSet(
        'two',
        (ctx) => {
          ctx.addTags(['learned'])
          return 'v2'
        },
        { tags: ['t'] },
      ),
    ).toBe('v2')
    expect(
      await a.getOrSetMany(['m1', 'm2'], (keys) => keys.map((key) => `${key}!`), { tags: ['many'] }),
    ).toEqual(['m1!', 'm2!'])
    expect(await b.getMany(['one', 'two', 'm1', 'm2'])).toEqual(['v1', 'v2', 'm1!', 'm2!'])
    await a.invalidateTags(['learned'])
    await vi.waitFor(async () => expect(await b.getMany(['one', 'two'])).toEqual(['v1', undefined]))
    await b.invalidateTags(['many'])
    await vi.waitFor(async () => expect(await a.getMany(['m1', 'm2'])).toEqual([undefined, undefined]))
    const loader = vi.fn(() => 'again')
    expect(await b.getOrSet('two', loader, { tags: ['t'] })).toBe('again')
    expect(await b.getOrSetMany(['m1'], (keys) => keys.map(() => 'again'))).toEqual(['again'])
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('a load that an invalidation of its tag overtakes is stored stamped from before it: a miss everywhere', async () => {
    const [a, b] = await pair<string>({ valueType: 'string' })
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let started = false
    const loading = a.getOrSet(
      'k',
      async () => {
        started = true
        await gate
        return 'read before the change'
      },
      { tags: ['row:1'] },
    )
    // The loader has started (its tag's counts were taken before it ran): the row changes now.
    await vi.waitFor(() => expect(started).toBe(true))
    await b.invalidateTags(['row:1'])
    release()
    expect(await loading).toBe('read before the change')
    expect(await a.get('k')).toBeUndefined()
    expect(await b.get('k')).toBeUndefined()
  })

  it('ctx.addTags refuses bad tags and calls after the loader returned; getOrSet refuses tags where entries carry no header', async () => {
    const c = cache<string, string>({ valueType: 'string' })
    let late: ((tags: string[]) => void) | undefined
    await expect(
      c.getOrSet('k', (ctx) => {
        ctx.addTags([''])
        return 'v'
      }),
    ).rejects.toMatchObject({ code: 'E_LOADER', cause: expect.objectContaining({ name: 'TypeError' }) })
    await c.getOrSet('k2', (ctx) => {
      late = ctx.addTags
      return 'v'
    })
    expect(() => late?.(['t'])).toThrow(/after the loader returned/)
    await expect(c.getOrSet('k3', () => 'v', { tags: 'solo' as never })).rejects.toThrow(TypeError)
    const bare = cache<number, string>({
      valueType: 'string',
      keyType: 'int',
      storage: { kind: 'hash', bucketSize: 10, entryExpiry: 'bucket' },
      expireTime: '1h',
    })
    await expect(bare.getOrSet(1, () => 'v', { tags: ['t'] })).rejects.toThrow(/entryExpiry: 'bucket'/)
  })
})
