import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FlipCache, FlipCacheError, FlipCacheOptions } from '../../src/index.js'
import type { CacheBuilder } from './cache-builder.js'
import { fakeClock } from './fake-clock.js'
import { patience } from './patience.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A storage kind under test: its options, and distinct keys of its key type. */
interface StorageKind<K> {
  label: string
  options: FlipCacheOptions<K, { n: number }>
  key(index: number): K
}

const kinds: StorageKind<unknown>[] = [
  { label: "storage 'string'", options: { keyType: 'int' }, key: (index) => index },
  {
    label: 'storage hash, bucketSize 100',
    options: { keyType: 'int', storage: { kind: 'hash', bucketSize: 100 } },
    key: (index) => index * 37,
  },
  {
    label: 'storage hash, bucket(key) of json tuple keys',
    options: {
      keyType: 'json',
      storage: {
        kind: 'hash',
        bucket: (key) => key as [string, number],
        key: (bucket, field) => [bucket, Number(field)],
      },
    },
    key: (index) => [`group${index % 3}`, index],
  },
]

/**
 * The public contract, against every storage kind: the API behaves the same whatever the layout,
 * and (run by cluster.test.ts) whatever the deployment. `extra` is added to every cache's options.
 */
export function describeContract(
  deployment: string,
  useBuilder: () => CacheBuilder,
  extra: FlipCacheOptions<unknown, { n: number }> = {},
): void {
  describe.each(kinds)(`FlipCache contract on ${deployment}, $label`, ({ options, key }) => {
    const { cache, client } = useBuilder()
    afterEach(() => {
      vi.useRealTimers()
    })
    const deploymentOptions = extra
    const make = (extra: FlipCacheOptions<unknown, { n: number }> = {}, name?: string) =>
      cache<unknown, { n: number }>({ ...options, ...deploymentOptions, ...extra }, name)

    it('set(), get(), has(), peek(), delete() round-trip through Redis and L1', async () => {
      const items = make()
      const other = make({ localMax: 0 }, items.name)
      await items.set(key(1), { n: 1 })
      expect(await items.get(key(1))).toEqual({ n: 1 })
      expect(items.peek(key(1))).toEqual({ n: 1 })
      expect(await other.get(key(1))).toEqual({ n: 1 })
      expect(await other.has(key(1))).toBe(true)
      expect(await other.has(key(2))).toBe(false)
      expect(await other.get(key(2))).toBeUndefined()
      expect(await items.delete(key(1))).toBe(true)
      expect(await items.delete(key(1))).toBe(false)
      expect(await other.get(key(1))).toBeUndefined()
      expect(items.peek(key(1))).toBeUndefined()
    })

    it('getMany(), setMany() and deleteMany() keep order and count what existed', async () => {
      const items = make()
      const reader = make({ localMax: 0 }, items.name)
      await items.setMany([0, 1, 2, 3, 4].map((index) => [key(index), { n: index }]))
      const asked = [key(3), key(9), key(0), key(3)]
      expect(await reader.getMany(asked)).toEqual([{ n: 3 }, undefined, { n: 0 }, { n: 3 }])
      expect(await items.getMany(asked)).toEqual([{ n: 3 }, undefined, { n: 0 }, { n: 3 }])
      expect(await items.deleteMany([key(0), key(1), key(9)])).toBe(2)
      expect(await reader.getMany([key(0), key(1), key(2)])).toEqual([undefined, undefined, { n: 2 }])
    })

    it('entries expire: get() misses after expireTime, and ttl() reports the remaining life', async () => {
      const items = make({ expireTime: '1h' })
      const reader = make({ localMax: 0 }, items.name)
      await items.set(key(1), { n: 1 })
      await items.set(key(3), { n: 3 }, { expireTime: null })
      // 1 s, read back at once: a whole second for one round trip, even on a loaded machine.
      await items.set(key(2), { n: 2 }, { expireTime: 1_000 })
      const remaining = await reader.ttl(key(2))
      expect(remaining).toBeGreaterThan(0)
      expect(remaining).toBeLessThanOrEqual(1_000)
      expect(await reader.ttl(key(1))).toBeGreaterThan(3_500_000)
      expect(await reader.ttl(key(4))).toBeUndefined()
      await vi.waitFor(async () => expect(await reader.get(key(2))).toBeUndefined(), {
        timeout: 10_000,
        interval: 50,
      })
      expect(await reader.has(key(2))).toBe(false)
      expect(await reader.ttl(key(2))).toBeUndefined()
      expect(await reader.get(key(1))).toEqual({ n: 1 })
      expect(await reader.get(key(3))).toEqual({ n: 3 })
    })

    it('keys() and entries() list the namespace; clear() empties it and nothing else', async () => {
      const items = make()
      const neighbour = make({}, `${items.name}x`)
      await items.setMany([0, 1, 2].map((index) => [key(index), { n: index }]))
      await neighbour.set(key(0), { n: 100 })
      const keys: unknown[] = []
      for await (const each of items.keys()) keys.push(each)
      expect(keys).toHaveLength(3)
      expect(keys).toEqual(expect.arrayContaining([key(0), key(1), key(2)]))
      const entries: [unknown, { n: number }][] = []
      for await (const entry of items.entries()) entries.push(entry)
      expect(entries.map(([, value]) => value.n).sort()).toEqual([0, 1, 2])
      await items.clear()
      expect(await items.getMany([key(0), key(1), key(2)])).toEqual([undefined, undefined, undefined])
      const after: unknown[] = []
      for await (const each of items.keys()) after.push(each)
      expect(after).toEqual([])
      expect(await neighbour.get(key(0))).toEqual({ n: 100 })
    })

    it('getOrSet() loads once across two instances and serves stale values within grace', async () => {
      const clock = fakeClock()
      const first = make({ redis: client(), expireTime: 60, grace: '1h' })
      const second = make({ redis: client(), expireTime: 60, grace: '1h' }, first.name)
      const loader = vi.fn(async () => {
        await sleep(30)
        return { n: 42 }
      })
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? first : second).getOrSet(key(1), loader)),
      )
      expect(loader).toHaveBeenCalledTimes(1)
      expect(new Set(results.map((value) => value.n))).toEqual(new Set([42]))
      clock.advance(61)
      expect(await second.get(key(1))).toBeUndefined()
      expect(await second.getOrSet(key(1), async () => ({ n: 43 }))).toEqual({ n: 42 })
      await vi.waitFor(async () => expect(await second.getOrSet(key(1), loader)).toEqual({ n: 43 }), patience)
    })

    it('a write on one instance invalidates the L1 of another', async () => {
      const a = make({ redis: client() })
      const b = make({ redis: client() }, a.name)
      await Promise.all([a.ready(), b.ready()])
      // Each write's message is awaited: on a cluster it may cross the bus after set() resolved.
      const heard = () => new Promise((resolve) => b.once('invalidate', resolve))
      const first = heard()
      await a.set(key(5), { n: 1 })
      await first
      expect(await b.get(key(5))).toEqual({ n: 1 })
      const second = heard()
      await a.set(key(5), { n: 2 })
      await second
      expect(await b.get(key(5))).toEqual({ n: 2 })
    })

    it('stats() counts hits, misses, sets and deletes', async () => {
      const items = make()
      await items.set(key(1), { n: 1 })
      await items.get(key(1))
      await items.get(key(2))
      await items.delete(key(1))
      expect(items.stats()).toMatchObject({ localHits: 1, misses: 1, sets: 1, deletes: 1 })
    })

    it('a stored value that does not decode is a miss reported as E_DECODE', async () => {
      const items = make({ valueType: 'int' } as unknown as FlipCacheOptions<unknown, { n: number }>)
      const errors: FlipCacheError[] = []
      items.on('error', (error) => errors.push(error))
      const writer = cache<unknown, string>(
        {
          ...(options as unknown as FlipCacheOptions<unknown, string>),
          ...(deploymentOptions as unknown as FlipCacheOptions<unknown, string>),
          valueType: 'string',
        },
        items.name,
      )
      await writer.set(key(1), 'not an int')
      expect(await (items as unknown as FlipCache<unknown, number>).get(key(1))).toBeUndefined()
      expect(errors.map((error) => error.code)).toEqual(['E_DECODE'])
    })
  })
}
