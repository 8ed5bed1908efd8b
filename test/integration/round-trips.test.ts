import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

// Command counts are server-wide, so these tests run on a server of their own.
let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server.stop())

describe('FlipCache round trips', () => {
  const caches = useCaches(() => server.url)
  const { client } = caches
  // These tests count commands and round trips: the heartbeat's own PUBLISH (one a second, see
  // docs/coherence.md) would land in some of the counts, so it is off here.
  const cache: typeof caches.cache = (options = {}, name) =>
    caches.cache({ maxStaleness: false, ...options }, name)
  let observer: Redis
  beforeAll(() => {
    observer = new Redis(server.url)
  })
  afterAll(() => observer.disconnect())

  it('get() of a key L1 lacks costs one GET with L1 off, and GET + PTTL in one round trip with L1 on', async () => {
    const redis = client()
    await redis.set('seed:a', '"x"')
    const off = cache({ redis, localMax: 0 }, 'seed')
    const on = cache({ redis }, 'seed')
    const trips = countRoundTrips(redis)
    expect(await countCommands(observer, () => off.get('a'))).toEqual({ get: 1 })
    expect(trips.count).toBe(1)
    expect(await countCommands(observer, () => on.get('a'))).toEqual({ get: 1, pttl: 1 })
    expect(trips.count).toBe(2)
    expect(await countCommands(observer, () => on.get('a'))).toEqual({})
    expect(trips.count).toBe(2)
  })

  it('concurrent get()s of one missing key share one Redis call', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.ready()
    const results = await (async () => {
      let values: (string | undefined)[] = []
      const commands = await countCommands(observer, async () => {
        values = await Promise.all(Array.from({ length: 50 }, () => items.get('absent')))
      })
      return { values, commands }
    })()
    expect(results.values).toEqual(Array(50).fill(undefined))
    expect(results.commands).toEqual({ get: 1, pttl: 1 })
    expect(items.stats().misses).toBe(50)
  })

  it('get()s of one key in later ticks join the read already on its way', async () => {
    const redis = client()
    await redis.set('join:k', 'v')
    const items = cache<string, string>({ redis, valueType: 'string', localMax: 0 }, 'join')
    const commands = await countCommands(observer, async () => {
      const first = items.get('k')
      await Promise.resolve()
      const second = items.get('k')
      expect(await Promise.all([first, second])).toEqual(['v', 'v'])
    })
    expect(commands).toEqual({ get: 1 })
  })

  it('concurrent get()s of distinct keys are merged into one MGET', async () => {
    const items = cache<number, number>({ keyType: 'int', valueType: 'int', localMax: 0 })
    await items.setMany(Array.from({ length: 100 }, (_, i): [number, number] => [i, i * 2]))
    let values: (number | undefined)[] = []
    const commands = await countCommands(observer, async () => {
      values = await Promise.all(Array.from({ length: 100 }, (_, i) => items.get(i)))
    })
    expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i * 2))
    expect(commands).toEqual({ mget: 1 })
  })

  it('getMany() serves L1 hits locally and fetches every miss in one MGET', async () => {
    const redis = client()
    const items = cache<number, number>({ redis, keyType: 'int', valueType: 'int' })
    await items.ready()
    await items.setMany(Array.from({ length: 10 }, (_, i): [number, number] => [i, i]))
    await redis.mset(`${items.name}:10`, '10', `${items.name}:11`, '11')
    const trips = countRoundTrips(redis)
    let values: (number | undefined)[] = []
    const commands = await countCommands(observer, async () => {
      values = await items.getMany([0, 10, 5, 11, 12, 9])
    })
    expect(values).toEqual([0, 10, 5, 11, undefined, 9])
    expect(commands).toEqual({ mget: 1, pttl: 3 })
    expect(trips.count).toBe(1)
    expect(items.stats()).toMatchObject({ localHits: 3, remoteHits: 2, misses: 1 })
  })

  it('setMany() is one round trip: one script (SET PX per entry inside) with an expiry, one MSET without, and one sync message', async () => {
    const redis = client()
    const items = cache<number, number>({ redis, keyType: 'int', valueType: 'int' })
    const trips = countRoundTrips(redis)
    const entries = Array.from({ length: 50 }, (_, i): [number, number] => [i, i])
    expect(await countCommands(observer, () => items.setMany(entries, { expireTime: '1m' }))).toEqual({
      eval: 1,
      set: 50,
      publish: 1,
    })
    expect(trips.count).toBe(1)
    expect(await countCommands(observer, () => items.setMany(entries))).toEqual({ mset: 1, publish: 1 })
    expect(trips.count).toBe(2)
    const quiet = cache<number, number>({ redis, keyType: 'int', valueType: 'int', sync: 'none' }, items.name)
    expect(await countCommands(observer, () => quiet.setMany(entries))).toEqual({ mset: 1 })
  })

  it('deleteMany() is one UNLINK (and one sync message)', async () => {
    const items = cache<number, number>({ keyType: 'int', valueType: 'int' })
    await items.setMany(Array.from({ length: 20 }, (_, i): [number, number] => [i, i]))
    let removed = 0
    const commands = await countCommands(observer, async () => {
      removed = await items.deleteMany(Array.from({ length: 30 }, (_, i) => i))
    })
    expect(removed).toBe(20)
    expect(commands).toEqual({ unlink: 1, publish: 1 })
  })

  it('calls made in one tick travel in one pipeline, in the order they were made', async () => {
    const redis = client()
    const items = cache<string, string>({ redis, valueType: 'string', localMax: 0 })
    const trips = countRoundTrips(redis)
    const [, before, , after, existed] = await Promise.all([
      items.set('k', 'one'),
      items.get('k'),
      items.set('k', 'two'),
      items.get('k'),
      items.delete('k'),
    ])
    expect([before, after, existed]).toEqual(['one', 'two', true])
    expect(trips.count).toBe(1)
  })
})
