import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FlipCache, type Invalidation } from '../../src/index.js'
import { trackingHub } from '../../src/sync/tracking-hub.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { patience } from '../support/patience.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'

// Eviction needs a small maxmemory, and the ACL test adds a user: a server of their own.
let server: RedisServer
let admin: Redis
beforeAll(async () => {
  server = await startRedisServer(['--maxmemory', '8mb', '--maxmemory-policy', 'allkeys-lru'])
  admin = new Redis(server.url)
})
afterAll(async () => {
  admin.disconnect()
  await server.stop()
})

function nextInvalidation<K, V>(cache: FlipCache<K, V>, origin: string): Promise<Invalidation<K>> {
  return new Promise((resolve) => {
    const listener = (invalidation: Invalidation<K>): void => {
      if (invalidation.origin !== origin) return
      cache.off('invalidate', listener)
      resolve(invalidation)
    }
    cache.on('invalidate', listener)
  })
}

describe("sync: 'tracking'", () => {
  const { cache, client } = useCaches(() => server.url)

  async function trackedCache(options = {}, name?: string): Promise<FlipCache<number, string>> {
    const users = cache<number, string>(
      {
        redis: client(),
        keyType: 'int',
        valueType: 'string',
        sync: 'tracking',
        localTtl: '1h',
        ...options,
      },
      name,
    )
    await users.ready()
    return users
  }

  it('a write by another client (redis-cli SET users:15 x) invalidates L1', async () => {
    const users = await trackedCache()
    await admin.set(`${users.name}:15`, 'Ada')
    expect(await users.get(15)).toBe('Ada')
    const heard = nextInvalidation(users, 'tracking')
    await admin.set(`${users.name}:15`, 'x')
    expect(await heard).toEqual({ keys: [15], origin: 'tracking' })
    expect(users.peek(15)).toBeUndefined()
    expect(await users.get(15)).toBe('x')
  })

  it('a DEL by another client invalidates L1', async () => {
    const users = await trackedCache()
    await admin.set(`${users.name}:16`, 'Grace')
    expect(await users.get(16)).toBe('Grace')
    const heard = nextInvalidation(users, 'tracking')
    await admin.del(`${users.name}:16`)
    await heard
    expect(await users.get(16)).toBeUndefined()
  })

  it('an expiry in Redis invalidates L1', async () => {
    const users = await trackedCache()
    await admin.set(`${users.name}:17`, 'brief')
    expect(await users.get(17)).toBe('brief')
    // PERSIST-less expiry set by someone else: L1 learned no deadline when it read the key.
    const expiring = nextInvalidation(users, 'tracking')
    await admin.pexpire(`${users.name}:17`, 2_000)
    await expiring
    expect(await users.get(17)).toBe('brief')
    const expired = nextInvalidation(users, 'tracking')
    await expired
    expect(users.peek(17)).toBeUndefined()
    expect(await users.get(17)).toBeUndefined()
  })

  it('an eviction under maxmemory invalidates L1', async () => {
    const users = await trackedCache()
    await admin.set(`${users.name}:18`, 'evict me')
    expect(await users.get(18)).toBe('evict me')
    let evicted = false
    users.on('invalidate', ({ keys, origin }) => {
      if (origin === 'tracking' && (keys === 'all' || keys.includes(18))) evicted = true
    })
    // LRU is approximate, and every key here was touched within the same second: how many fillers of
    // 256 KiB it takes to evict the key varies (30 rounds each: 23 to 67 on Redis 7.0.15, 23 to 74 on
    // Valkey 8.0.1, 31 to 178 on Redis 8.0.2, where a fixed 80 timed out), so fillers go in until L1
    // hears of it (EXISTS would touch the key).
    const filler = 'x'.repeat(256 * 1024)
    let fillers = 0
    while (!evicted && fillers < 1_000) await admin.set(`filler:${fillers++}`, filler)
    await vi.waitFor(() => expect(evicted).toBe(true), patience)
    expect(await admin.exists(`${users.name}:18`)).toBe(0)
    expect(users.peek(18)).toBeUndefined()
    await admin.del(...Array.from({ length: fillers }, (_, index) => `filler:${index}`))
  })

  it('works with read-through: a value another client rewrites is reloaded from Redis', async () => {
    const users = await trackedCache({ expireTime: '1h' })
    expect(await users.getOrSet(20, async () => 'loaded')).toBe('loaded')
    const heard = nextInvalidation(users, 'tracking')
    await admin.set(`${users.name}:20`, 'rewritten')
    await heard
    expect(await users.getOrSet(20, async () => 'unused')).toBe('rewritten')
  })

  it('a prefix that covers another is tracked alone, and when its cache closes the other is tracked again, without a gap', async () => {
    const shared = client()
    const tracked = async (name: string) => {
      const made = cache<number, string>(
        { redis: shared, keyType: 'int', valueType: 'string', sync: 'tracking', localTtl: '1h' },
        name,
      )
      await made.ready()
      return made
    }
    const base = uniqueName('cover')
    const inner = await tracked(`${base}:inner`)
    const hub = trackingHub(shared)
    expect((await hub.trackingInfo())?.prefixes).toEqual([`${base}:inner:`])
    // Written, and read once Redis's invalidation of that write has come back, so that L1 keeps it.
    const echoed = nextInvalidation(inner, 'tracking')
    await admin.set(`${base}:inner:1`, 'a')
    await echoed
    expect(await inner.get(1)).toBe('a')
    const origins: string[] = []
    inner.on('invalidate', ({ origin }) => origins.push(origin))
    // `${base}:` covers `${base}:inner:`: Redis refuses overlapping prefixes, so it alone is tracked.
    const outer = await tracked(base)
    expect((await hub.trackingInfo())?.prefixes).toEqual([`${base}:`])
    expect(hub.prefixes).toEqual([`${base}:`])
    await outer.close()
    expect((await hub.trackingInfo())?.prefixes).toEqual([`${base}:inner:`])
    // Neither move emptied L1 (there was no gap to cover), and writes by others still arrive.
    expect(inner.peek(1)).toBe('a')
    const heard = nextInvalidation(inner, 'tracking')
    await admin.set(`${base}:inner:1`, 'b')
    expect(await heard).toEqual({ keys: [1], origin: 'tracking' })
    expect(origins).not.toContain('reconnect')
    expect(await inner.get(1)).toBe('b')
  })

  it('two caches of one name share their prefix: it is tracked until both have closed', async () => {
    const shared = client()
    const options = { redis: shared, valueType: 'string' as const, sync: 'tracking' as const }
    const first = cache<string, string>(options)
    const second = cache<string, string>(options, first.name)
    const other = cache<string, string>(options)
    await Promise.all([first.ready(), second.ready(), other.ready()])
    const hub = trackingHub(shared)
    const sorted = async () => (await hub.trackingInfo())?.prefixes.sort()
    expect(await sorted()).toEqual([`${first.name}:`, `${other.name}:`].sort())
    await first.close()
    expect(await sorted()).toEqual([`${first.name}:`, `${other.name}:`].sort())
    await second.close()
    expect(await sorted()).toEqual([`${other.name}:`])
  })

  it("an instance's own set keeps its L1 copy (NOLOOP: no echo), while an instance on another client drops its copy", async () => {
    const a = await trackedCache()
    const b = await trackedCache({ redis: client() }, a.name)
    // b reads once it has heard of a's write: a later notice would drop the copy it read.
    const first = nextInvalidation(b, 'tracking')
    await a.set(1, 'v1')
    await first
    expect(await b.get(1)).toBe('v1')
    expect(b.peek(1)).toBe('v1')
    const aOrigins: string[] = []
    a.on('invalidate', ({ origin }) => aOrigins.push(origin))
    const bHeard = nextInvalidation(b, 'tracking')
    await a.set(1, 'v2')
    expect(a.peek(1)).toBe('v2')
    expect(await bHeard).toEqual({ keys: [1], origin: 'tracking' })
    expect(b.peek(1)).toBeUndefined()
    // Redis sends a's invalidations in order: once another client's later write has reached a, any
    // echo of a's own write would have come before it.
    const barrier = nextInvalidation(a, 'tracking')
    await admin.set(`${a.name}:999`, 'later')
    expect(await barrier).toEqual({ keys: [999], origin: 'tracking' })
    expect(aOrigins).toEqual(['local', 'tracking'])
    expect(a.peek(1)).toBe('v2')
    // The next get is an L1 hit: no Redis read.
    const before = a.stats()
    expect(await a.get(1)).toBe('v2')
    const after = a.stats()
    expect(after.localHits).toBe(before.localHits + 1)
    expect([after.remoteHits, after.misses]).toEqual([before.remoteHits, before.misses])
    expect(await b.get(1)).toBe('v2')
  })

  it('two caches of one name on the same client invalidate each other; the writer keeps its copy', async () => {
    const shared = client()
    const first = await trackedCache({ redis: shared })
    const second = await trackedCache({ redis: shared }, first.name)
    const told = nextInvalidation(second, 'tracking')
    await first.set(5, 'one')
    expect(await told).toEqual({ keys: [5], origin: 'tracking' })
    expect(await second.get(5)).toBe('one')
    expect(second.peek(5)).toBe('one')
    const heard = nextInvalidation(second, 'tracking')
    await first.set(5, 'two')
    expect(await heard).toEqual({ keys: [5], origin: 'tracking' })
    expect(second.peek(5)).toBeUndefined()
    expect(first.peek(5)).toBe('two')
    expect(await second.get(5)).toBe('two')
    // And back, for a delete.
    const back = nextInvalidation(first, 'tracking')
    await second.delete(5)
    expect(await back).toEqual({ keys: [5], origin: 'tracking' })
    expect(first.peek(5)).toBeUndefined()
    expect(await first.get(5)).toBeUndefined()
    // A write by another client reaches both, as before.
    const firstHeard = nextInvalidation(first, 'tracking')
    const secondHeard = nextInvalidation(second, 'tracking')
    await admin.set(`${first.name}:5`, 'three')
    expect(await firstHeard).toEqual({ keys: [5], origin: 'tracking' })
    expect(await secondHeard).toEqual({ keys: [5], origin: 'tracking' })
  })

  it("the client's connection tracks with NOLOOP and BCAST, redirected to the subscriber", async () => {
    const shared = client()
    const users = await trackedCache({ redis: shared })
    const info = await trackingHub(shared).trackingInfo()
    expect(info?.flags).toEqual(expect.arrayContaining(['on', 'bcast', 'noloop']))
    expect(info?.prefixes).toEqual([`${users.name}:`])
    expect(await shared.call('CLIENT', 'TRACKINGINFO')).toEqual(
      expect.arrayContaining([expect.arrayContaining(['noloop'])]),
    )
  })

  it('tracks without NOLOOP while a cache with hash buckets listens on the client (its writes change keys in part), with NOLOOP again once it closes', async () => {
    const shared = client()
    const strings = await trackedCache({ redis: shared })
    const hub = trackingHub(shared)
    expect((await hub.trackingInfo())?.flags).toContain('noloop')
    const buckets = await trackedCache({ redis: shared, storage: { kind: 'hash', bucketSize: 10 } })
    const info = await hub.trackingInfo()
    expect(info?.flags).toEqual(expect.arrayContaining(['on', 'bcast']))
    expect(info?.flags).not.toContain('noloop')
    expect(info?.prefixes.sort()).toEqual([`${strings.name}:`, `${buckets.name}:`].sort())
    // Both still hear another client's writes; the bucket cache also its own (they come back again).
    const echo = nextInvalidation(buckets, 'tracking')
    await buckets.set(3, 'mine')
    expect((await echo).keys).toContain(3)
    await buckets.close()
    expect((await hub.trackingInfo())?.flags).toContain('noloop')
    expect((await hub.trackingInfo())?.prefixes).toEqual([`${strings.name}:`])
    await strings.set(1, 'kept')
    const heard = nextInvalidation(strings, 'tracking')
    await admin.set(`${strings.name}:1`, 'theirs')
    expect(await heard).toEqual({ keys: [1], origin: 'tracking' })
  })

  it('refuses refreshExpireTimeOnGet with a TypeError at construction, naming pubsub instead', () => {
    expect(
      () =>
        new FlipCache(uniqueName(), {
          redis: admin,
          sync: 'tracking',
          expireTime: '1h',
          refreshExpireTimeOnGet: true,
        }),
    ).toThrow(/refreshExpireTimeOnGet.*sync: 'tracking'.*sync: 'pubsub'/s)
  })

  it('falls back to pubsub, with a warning, on a server that refuses tracking', async () => {
    await admin.call('ACL', 'SETUSER', 'no-client', 'on', '>secret', '~*', '&*', '+@all', '-client')
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const url = server.url.replace('redis://', 'redis://no-client:secret@')
    const clients = [new Redis(url), new Redis(url)]
    try {
      const first = cache<string, string>({ redis: clients[0], valueType: 'string', sync: 'tracking' })
      const second = cache<string, string>(
        { redis: clients[1], valueType: 'string', sync: 'tracking' },
        first.name,
      )
      await Promise.all([first.ready(), second.ready()])
      expect(warnings).toHaveBeenCalled()
      expect(String(warnings.mock.calls[0]?.[0])).toMatch(/falls back to sync 'pubsub'/)
      // pubsub still carries flipcache's own writes.
      await first.set('k', 'v1')
      expect(await second.get('k')).toBe('v1')
      const heard = nextInvalidation(second, 'remote')
      await first.set('k', 'v2')
      await heard
      expect(await second.get('k')).toBe('v2')
      await Promise.all([first.close(), second.close()])
    } finally {
      for (const each of clients) each.disconnect()
      warnings.mockRestore()
      await admin.call('ACL', 'DELUSER', 'no-client')
    }
  })
})

// Why `refreshExpireTimeOnGet` is refused with `sync: 'tracking'` (redis/redis#13701): for client
// tracking a TTL touch is a change of the key, so a sliding read on one instance would drop every
// other instance's L1 copy, and GETEX reads would keep dropping each other's refills.
describe('client tracking counts a TTL touch as a change (raw ioredis)', () => {
  it('PEXPIRE and GETEX ... PX on a tracked key send an invalidation (and HPEXPIRE, HGETEX PX where Redis has them)', async () => {
    const prefix = `${uniqueName('touch')}:`
    const name = `touch-subscriber-${uniqueName()}`
    // RESP2: on RESP3 the invalidations come as push frames, which ioredis drops.
    const subscriber = new Redis(server.url, { connectionName: name, protocol: 2 })
    const tracker = new Redis(server.url)
    const toucher = new Redis(server.url)
    const heard: string[] = []
    subscriber.on('messageBuffer', (channel: Buffer, keys: unknown) => {
      if (channel.toString() === '__redis__:invalidate' && Array.isArray(keys))
        for (const key of keys) heard.push(String(key))
    })
    const invalidatedBy = async (key: string, touch: () => Promise<unknown>): Promise<void> => {
      heard.length = 0
      await touch()
      await vi.waitFor(() => expect(heard).toContain(key), patience)
    }
    try {
      await subscriber.subscribe('__redis__:invalidate')
      const list = String(await tracker.call('CLIENT', 'LIST'))
      const id = /\bid=(\d+)\b[^\n]* name=([^ ]+) /.exec(
        list.split('\n').find((line) => line.includes(` name=${name} `)) ?? '',
      )?.[1]
      expect(id).toBeDefined()
      await tracker.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', 'PREFIX', prefix)
      const key = `${prefix}k`
      await invalidatedBy(key, () => toucher.set(key, 'v', 'PX', 60_000))
      await invalidatedBy(key, () => toucher.pexpire(key, 60_000))
      await invalidatedBy(key, () => toucher.call('GETEX', key, 'PX', '60000'))
      // A plain read changes nothing: a later write's invalidation is the next one heard.
      heard.length = 0
      await toucher.get(key)
      await invalidatedBy(`${prefix}other`, () => toucher.set(`${prefix}other`, 'x'))
      expect(heard).not.toContain(key)
      // Redis 8 (not Valkey 8, nor Redis 7) expires hash fields: touching one changes the hash.
      const hashFieldExpiry = (await toucher.call('COMMAND', 'INFO', 'HPEXPIRE', 'HGETEX')) as unknown[]
      if (hashFieldExpiry.every((entry) => entry !== null)) {
        const hash = `${prefix}h`
        await invalidatedBy(hash, () => toucher.hset(hash, 'f', 'v'))
        await invalidatedBy(hash, () => toucher.call('HPEXPIRE', hash, '60000', 'FIELDS', '1', 'f'))
        await invalidatedBy(hash, () => toucher.call('HGETEX', hash, 'PX', '60000', 'FIELDS', '1', 'f'))
      }
    } finally {
      for (const connection of [subscriber, tracker, toucher]) connection.disconnect()
    }
  })
})
