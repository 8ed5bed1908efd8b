import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FlipCache, type FlipCacheError } from '../../src/index.js'
import { trackingHub } from '../../src/sync/tracking-hub.js'
import { uniqueName } from '../support/cache-builder.js'
import { patience } from '../support/patience.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'

// The test changes a user's ACL and kills its connections: a server of its own.
let server: RedisServer
let admin: Redis
beforeAll(async () => {
  server = await startRedisServer()
  admin = new Redis(server.url)
})
afterAll(async () => {
  admin.disconnect()
  await server.stop()
})

describe("sync: 'tracking' after a reconnection", () => {
  it("re-arms NOLOOP tracking on the client's connection once it reconnects, and invalidations flow again", async () => {
    const client = new Redis(server.url)
    client.on('error', () => {})
    const cache = new FlipCache<string, string>(uniqueName(), {
      redis: client,
      valueType: 'string',
      sync: 'tracking',
      localTtl: '1h',
    })
    const origins: string[] = []
    cache.on('invalidate', ({ origin }) => origins.push(origin))
    const key = `${cache.name}:k`
    try {
      await cache.ready()
      const hub = trackingHub(client)
      const firstId = String(await client.call('CLIENT', 'ID'))
      await admin.call('CLIENT', 'KILL', 'ID', firstId)
      // Invalidations may have been lost meanwhile: L1 starts over once tracking is armed again.
      await vi.waitFor(() => expect(origins).toContain('reconnect'), patience)
      expect(String(await client.call('CLIENT', 'ID'))).not.toBe(firstId)
      const info = await hub.trackingInfo()
      expect(info?.flags).toEqual(expect.arrayContaining(['on', 'bcast', 'noloop']))
      expect(info?.prefixes).toEqual([`${cache.name}:`])
      // Its own write keeps its copy; another client's write reaches it.
      await cache.set('k', 'mine')
      expect(cache.peek('k')).toBe('mine')
      await vi.waitFor(async () => {
        await admin.set(key, 'theirs')
        expect(cache.peek('k')).toBeUndefined()
        expect(await cache.get('k')).toBe('theirs')
      }, patience)
    } finally {
      await cache.close()
      client.disconnect()
    }
  })

  it('turns L1 off while tracking cannot be armed again, retries, and trusts L1 once it is armed', async () => {
    const user = `rearm-${randomBytes(4).toString('hex')}`
    await admin.call('ACL', 'SETUSER', user, 'on', '>secret', '~*', '&*', '+@all')
    const client = new Redis({ port: server.port, host: '127.0.0.1', username: user, password: 'secret' })
    client.on('error', () => {})
    const cache = new FlipCache<string, string>(uniqueName(), {
      redis: client,
      valueType: 'string',
      sync: 'tracking',
      maxStaleness: '1s',
      localTtl: '1h',
    })
    const errors: FlipCacheError[] = []
    cache.on('error', (error) => errors.push(error))
    const key = `${cache.name}:k`
    // A write by another client that only tracking tells of; the read after it must see it.
    let round = 0
    const writeAroundAndRead = async (): Promise<string | undefined> => {
      await cache.get('k')
      round++
      await admin.set(key, `v${round}`)
      return cache.get('k')
    }
    try {
      await cache.ready()
      await cache.set('k', 'v0')
      // Tracking may not come back: CLIENT TRACKING (and CLIENT LIST, which finds the subscriber) refused.
      await admin.call('ACL', 'SETUSER', user, '-client|tracking', '-client|list')
      await admin.call('CLIENT', 'KILL', 'USER', user)
      // Reported whether or not the cache is deaf already (its sync subscriber dropped with the rest).
      await vi.waitFor(
        () => expect(errors.some((error) => /could not be armed again/.test(error.message))).toBe(true),
        { ...patience, timeout: 20_000 },
      )
      const unarmed = errors.find((error) => /could not be armed again/.test(error.message))
      expect(unarmed?.code).toBe('E_SYNC_UNHEARD')
      // Over three staleness bounds (the sync channel's heartbeat comes back meanwhile), every read
      // after a write by another client sees it: L1 stays off while tracking is not armed.
      const until = Date.now() + 3000
      while (Date.now() < until) expect(await writeAroundAndRead()).toBe(`v${round}`)

      await admin.call('ACL', 'SETUSER', user, '+client|tracking', '+client|list')
      // Armed again (by a retry): L1 serves hits again, and tracking's invalidations reach it.
      await vi.waitFor(
        async () => {
          const before = cache.stats().localHits
          await cache.get('k')
          await cache.get('k')
          expect(cache.stats().localHits).toBeGreaterThan(before)
        },
        { ...patience, timeout: 20_000 },
      )
      await vi.waitFor(async () => expect(await writeAroundAndRead()).toBe(`v${round}`), patience)
    } finally {
      await cache.close()
      client.disconnect()
      await admin.call('ACL', 'DELUSER', user)
    }
  }, 60_000)
})
