import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FlipCache, Invalidation } from '../../src/index.js'
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

  async function trackedCache(options = {}): Promise<FlipCache<number, string>> {
    const users = cache<number, string>({
      redis: client(),
      keyType: 'int',
      valueType: 'string',
      sync: 'tracking',
      localTtl: '1h',
      ...options,
    })
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
