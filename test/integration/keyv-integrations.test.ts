import { createCache } from 'cache-manager'
import { Cacheable } from 'cacheable'
import Keyv from 'keyv'
import { describe, expect, it, vi } from 'vitest'
import type { FlipCache } from '../../src/index.js'
import { FlipCacheKeyvStore } from '../../src/keyv/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'

// The adapter through what people put it in: Keyv itself, cache-manager 7 and cacheable 2. Two
// instances of one namespace, each a FlipCache on a client of its own, stand for two processes.

describe('FlipCacheKeyvStore', () => {
  const { cache, client } = useCaches()

  /** Two caches of one namespace holding Keyv's serialized strings, on clients of their own, listening. */
  async function pair(options = {}): Promise<[FlipCache<string, string>, FlipCache<string, string>]> {
    const name = uniqueName('keyv')
    const a = cache<string, string>(
      { redis: client(), valueType: 'string', expireTime: 60_000, ...options },
      name,
    )
    const b = cache<string, string>(
      { redis: client(), valueType: 'string', expireTime: 60_000, ...options },
      name,
    )
    await Promise.all([a.ready(), b.ready()])
    return [a, b]
  }

  describe('with Keyv', () => {
    it('get() is served from L1 after the first read, and a write on another instance invalidates that copy', async () => {
      const [cacheA, cacheB] = await pair()
      const a = new Keyv<{ name: string }>({ store: new FlipCacheKeyvStore(cacheA) })
      const b = new Keyv<{ name: string }>({ store: new FlipCacheKeyvStore(cacheB) })
      expect(await a.set('user', { name: 'Ada' })).toBe(true)
      // b hears of a's write first: its notice could otherwise drop the copy b's first read makes.
      await vi.waitFor(() => expect(cacheB.stats().invalidationsReceived).toBeGreaterThan(0))

      expect(await b.get('user')).toEqual({ name: 'Ada' })
      // Keyv prefixes its namespace; the L1 copy is Keyv's serialized envelope.
      expect(JSON.parse(cacheB.peek('keyv:user') ?? 'null')).toEqual({ value: { name: 'Ada' } })
      const before = cacheB.stats()
      expect(await b.get('user')).toEqual({ name: 'Ada' })
      expect(cacheB.stats().localHits).toBe(before.localHits + 1)
      expect(cacheB.stats().remoteHits).toBe(before.remoteHits)

      await a.set('user', { name: 'Grace' })
      await vi.waitFor(() => expect(cacheB.peek('keyv:user')).toBeUndefined())
      expect(await b.get('user')).toEqual({ name: 'Grace' })
      await a.delete('user')
      await vi.waitFor(() => expect(cacheB.peek('keyv:user')).toBeUndefined())
      expect(await b.get('user')).toBeUndefined()
    })

    it('set() passes Keyv ttl in ms to Redis; no ttl means the cache expireTime', async () => {
      const [cacheA] = await pair()
      const keyv = new Keyv({ store: new FlipCacheKeyvStore(cacheA) })
      await keyv.set('short', 'v', 5_000)
      await keyv.set('default', 'v')
      const short = await cacheA.ttl('keyv:short')
      const fallback = await cacheA.ttl('keyv:default')
      expect(short).toBeGreaterThan(0)
      expect(short).toBeLessThanOrEqual(5_000)
      expect(fallback).toBeGreaterThan(5_000)
      expect(fallback).toBeLessThanOrEqual(60_000)
      const withDefault = new Keyv({ store: new FlipCacheKeyvStore(cacheA), ttl: 3_000 })
      await withDefault.set('keyv-default', 'v')
      expect(await cacheA.ttl('keyv:keyv-default')).toBeLessThanOrEqual(3_000)
    })

    it('the store deletes on a ttl of 0 or less, and a ttl flipcache refuses is a failed write', async () => {
      const [cacheA] = await pair()
      const store = new FlipCacheKeyvStore(cacheA)
      await store.set('k', 'v')
      expect(await store.set('k', 'w', -1)).toBe(true)
      expect(await cacheA.get('k')).toBeUndefined()
      await expect(store.set('k', 'w', Number.POSITIVE_INFINITY)).rejects.toThrow(TypeError)
      const keyv = new Keyv({ store })
      const errors: unknown[] = []
      keyv.on('error', (error: unknown) => errors.push(error))
      expect(await keyv.set('k', 'w', 200 * 365 * 86_400_000)).toBe(false)
      expect(errors).toEqual([expect.any(TypeError)])
      expect(await cacheA.get('keyv:k')).toBeUndefined()
    })

    it('with serialize and deserialize undefined, values reach the cache as objects, encoded by its valueType', async () => {
      const name = uniqueName('keyv-raw')
      const cacheA = cache({ redis: client(), expireTime: 60_000 }, name)
      const cacheB = cache({ redis: client(), expireTime: 60_000 }, name)
      const raw = { serialize: undefined, deserialize: undefined }
      const a = new Keyv({ store: new FlipCacheKeyvStore(cacheA), ...raw })
      // The same through Keyv's setters, as docs/keyv.md shows it.
      const b = new Keyv({ store: new FlipCacheKeyvStore(cacheB) })
      b.serialize = undefined
      b.deserialize = undefined
      const joined = new Date('1843-07-10T00:00:00.000Z')
      await Promise.all([cacheA.ready(), cacheB.ready()])
      await a.set('ada', { name: 'Ada', joined }, 10_000)
      // b hears of a's write first: its notice could otherwise drop the copy b's first read makes.
      await vi.waitFor(() => expect(cacheB.stats().invalidationsReceived).toBeGreaterThan(0))
      const read = (await b.get('ada')) as { joined: Date }
      // superjson (the cache's default valueType) keeps the Date a Date.
      expect(read.joined).toBeInstanceOf(Date)
      expect(read.joined.getTime()).toBe(joined.getTime())
      expect(cacheB.peek('keyv:ada')).toMatchObject({ value: { name: 'Ada' }, expires: expect.any(Number) })
    })

    it('clear() removes the keys of its Keyv namespace only, on every instance', async () => {
      const [cacheA, cacheB] = await pair()
      const sessions = new Keyv({ store: new FlipCacheKeyvStore(cacheA), namespace: 'sessions' })
      const other = new Keyv({ store: new FlipCacheKeyvStore(cacheA), namespace: 'other' })
      const seen = new Keyv({ store: new FlipCacheKeyvStore(cacheB), namespace: 'sessions' })
      await sessions.set('s1', 'one')
      await other.set('s1', 'kept')
      await cacheA.set('direct', 'kept too')
      expect(await seen.get('s1')).toBe('one')
      await sessions.clear()
      await vi.waitFor(() => expect(cacheB.peek('sessions:s1')).toBeUndefined())
      expect(await seen.get('s1')).toBeUndefined()
      expect(await other.get('s1')).toBe('kept')
      expect(await cacheA.get('direct')).toBe('kept too')
    })

    it('a failed read is a miss reported on Keyv "error"; a failed write resolves false with "error"; nothing throws', async () => {
      const [cacheA] = await pair()
      const keyv = new Keyv({ store: new FlipCacheKeyvStore(cacheA) })
      const errors: unknown[] = []
      keyv.on('error', (error: unknown) => errors.push(error))
      await keyv.set('k', 'v')
      await cacheA.close()
      expect(await keyv.get('k')).toBeUndefined()
      expect(await keyv.get(['k', 'j'])).toEqual([undefined, undefined])
      expect(await keyv.has('k')).toBe(false)
      expect(await keyv.set('k', 'w')).toBe(false)
      expect(await keyv.delete('k')).toBe(false)
      expect(errors).toHaveLength(5)
      expect(errors).toEqual(Array(5).fill(expect.objectContaining({ code: 'E_CLOSED' })))
    })

    it('a value the cache refuses (an object in a string cache) is a failed write, not a crash', async () => {
      const [cacheA] = await pair()
      const keyv = new Keyv({
        store: new FlipCacheKeyvStore(cacheA),
        serialize: undefined,
        deserialize: undefined,
      })
      const errors: unknown[] = []
      keyv.on('error', (error: unknown) => errors.push(error))
      expect(await keyv.set('k', { not: 'a string' })).toBe(false)
      expect(errors).toEqual([expect.any(TypeError)])
    })

    it('disconnect() closes the cache only with closeOnDisconnect', async () => {
      const [cacheA, cacheB] = await pair()
      await new Keyv({ store: new FlipCacheKeyvStore(cacheA) }).disconnect()
      expect(await cacheA.get('still-open')).toBeUndefined()
      await new Keyv({ store: new FlipCacheKeyvStore(cacheB, { closeOnDisconnect: true }) }).disconnect()
      await expect(cacheB.get('closed')).rejects.toMatchObject({ code: 'E_CLOSED' })
    })

    it('the constructor refuses what is not a FlipCache, and a non-boolean closeOnDisconnect', () => {
      expect(() => new FlipCacheKeyvStore({} as FlipCache<string, string>)).toThrow(TypeError)
      const cacheA = cache<string, string>({ valueType: 'string' })
      expect(
        () => new FlipCacheKeyvStore(cacheA, { closeOnDisconnect: 'yes' as unknown as boolean }),
      ).toThrow(/closeOnDisconnect/)
    })
  })

  describe('with cache-manager 7', () => {
    it('createCache({ stores: [keyv] }): a value set on one instance is read on the other, and its L1 copy invalidated by a later set', async () => {
      const [cacheA, cacheB] = await pair()
      const a = createCache({ stores: [new Keyv({ store: new FlipCacheKeyvStore(cacheA) })], ttl: 30_000 })
      const b = createCache({ stores: [new Keyv({ store: new FlipCacheKeyvStore(cacheB) })], ttl: 30_000 })
      await a.set('price:1', 9.99)
      // b hears of a's write first: its notice could otherwise drop the copy b's first read makes.
      await vi.waitFor(() => expect(cacheB.stats().invalidationsReceived).toBeGreaterThan(0))
      expect(await b.get('price:1')).toBe(9.99)
      expect(cacheB.peek('keyv:price:1')).toBeDefined()
      const ttl = await b.ttl('price:1')
      expect(ttl).toBeGreaterThan(Date.now())
      expect(await cacheA.ttl('keyv:price:1')).toBeLessThanOrEqual(30_000)

      await a.set('price:1', 12.5)
      await vi.waitFor(() => expect(cacheB.peek('keyv:price:1')).toBeUndefined())
      expect(await b.get('price:1')).toBe(12.5)

      let loads = 0
      const load = async () => {
        loads++
        return 'loaded'
      }
      expect(await a.wrap('wrapped', load)).toBe('loaded')
      expect(await b.wrap('wrapped', load)).toBe('loaded')
      expect(loads).toBe(1)
      await a.del('wrapped')
      await vi.waitFor(() => expect(cacheB.peek('keyv:wrapped')).toBeUndefined())
      expect(await b.get('wrapped')).toBeUndefined()
    })
  })

  describe('with cacheable 2', () => {
    it('new Cacheable({ primary }): flipcache is the only tier, so every instance sees each write', async () => {
      const [cacheA, cacheB] = await pair()
      const a = new Cacheable({ primary: new Keyv({ store: new FlipCacheKeyvStore(cacheA) }), ttl: '30s' })
      const b = new Cacheable({ primary: new Keyv({ store: new FlipCacheKeyvStore(cacheB) }), ttl: '30s' })
      await a.set('greeting', 'hello')
      // b hears of a's write first: its notice could otherwise drop the copy b's first read makes.
      await vi.waitFor(() => expect(cacheB.stats().invalidationsReceived).toBeGreaterThan(0))
      expect(await b.get('greeting')).toBe('hello')
      const before = cacheB.stats().localHits
      expect(await b.get('greeting')).toBe('hello')
      expect(cacheB.stats().localHits).toBe(before + 1)
      await a.set('greeting', 'bonjour')
      await vi.waitFor(() => expect(cacheB.peek('keyv:greeting')).toBeUndefined())
      expect(await b.get('greeting')).toBe('bonjour')
      expect(await cacheA.ttl('keyv:greeting')).toBeLessThanOrEqual(30_000)
      expect(await b.getMany(['greeting', 'nobody'])).toEqual(['bonjour', undefined])
      await b.delete('greeting')
      // a's L1 copy goes when the invalidation arrives (asynchronously, as between processes).
      await vi.waitFor(async () => expect(await a.has('greeting')).toBe(false))
    })
  })
})
