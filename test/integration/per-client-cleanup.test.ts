import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { FlipCache, type FlipCacheOptions } from '../../src/index.js'
import { transportOf } from '../../src/redis/transport.js'
import { subscriberHub } from '../../src/sync/subscriber-hub.js'
import { trackingHub } from '../../src/sync/tracking-hub.js'
import { uniqueName } from '../support/cache-builder.js'

/** What a client's shared structures hold: its listeners, and what its hubs and breakers keep per cache. */
async function footprint(client: Redis) {
  const events = Object.fromEntries(
    client.eventNames().map((event) => [String(event), client.listenerCount(event)]),
  )
  const tracking = trackingHub(client)
  return {
    events,
    subscriber: subscriberHub(client).size,
    breakers: transportOf(client).breakers.listening,
    tracking: { listeners: tracking.listeners, prefixes: [...tracking.prefixes] },
    trackedByRedis: (await tracking.trackingInfo())?.prefixes.sort(),
  }
}

describe('caches created and closed on one long-lived client', () => {
  const clients: Redis[] = []
  const open: FlipCache<string, string>[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((cache) => cache.close()))
    for (const client of clients.splice(0)) client.disconnect()
  })

  async function churn(
    client: Redis,
    count: number,
    options: FlipCacheOptions<string, string>,
  ): Promise<void> {
    for (let index = 0; index < count; index++) {
      const cache = new FlipCache<string, string>(uniqueName('churn'), {
        redis: client,
        valueType: 'string',
        ...options,
      })
      await cache.ready()
      await cache.set('k', 'v')
      expect(await cache.get('k')).toBe('v')
      await cache.close()
    }
  }

  it('many caches starting at once on one client add one listener to it, not one each (Node warns past ten)', async () => {
    const client = new Redis(inject('redisUrl'))
    clients.push(client)
    const before = client.listenerCount('close')
    const caches = Array.from({ length: 25 }, () => {
      const cache = new FlipCache<string, string>(uniqueName('many'), { redis: client, valueType: 'string' })
      open.push(cache)
      return cache
    })
    expect(client.listenerCount('close')).toBeLessThanOrEqual(before + 1)
    expect(client.listenerCount('close')).toBeLessThan(client.getMaxListeners())
    await Promise.all(caches.map((cache) => cache.get('k')))
    expect(client.listenerCount('close')).toBe(before)
  })

  it("2,000 caches with sync 'pubsub' leave the client's listeners, hubs and breakers as they were", async () => {
    const client = new Redis(inject('redisUrl'))
    clients.push(client)
    // Connected first, and the keeper's first call done: the waits of a starting client and cache
    // (a 'ready' listener, the first calls' 'close' listener) are over before the footprint is taken.
    await client.ping()
    const keeper = new FlipCache<string, string>(uniqueName('keeper'), { redis: client, valueType: 'string' })
    open.push(keeper)
    await keeper.ready()
    await keeper.get('warm')
    const before = await footprint(client)
    await churn(client, 2_000, {})
    expect(await footprint(client)).toEqual(before)
    expect(before.subscriber).toEqual({ channels: 1, listeners: 1 })
    expect(before.breakers).toBe(1)
  }, 60_000)

  it("200 caches with sync 'tracking' leave Redis tracking the one prefix still needed", async () => {
    const client = new Redis(inject('redisUrl'))
    clients.push(client)
    await client.ping()
    const keeper = new FlipCache<string, string>(uniqueName('keeper'), {
      redis: client,
      valueType: 'string',
      sync: 'tracking',
    })
    open.push(keeper)
    await keeper.ready()
    // The keeper's own write does not come back (NOLOOP): L1 keeps the copy it wrote.
    await keeper.set('kept', 'v')
    expect(keeper.peek('kept')).toBe('v')
    const reconnects: unknown[] = []
    keeper.on('invalidate', (invalidation) => {
      if (invalidation.origin === 'reconnect') reconnects.push(invalidation)
    })
    const before = await footprint(client)
    expect(before.trackedByRedis).toEqual([`${keeper.name}:`])
    await churn(client, 200, { sync: 'tracking' })
    expect(await footprint(client)).toEqual(before)
    // Tracking switched over a bridge 200 times without a gap: the keeper's L1 was never emptied.
    expect(reconnects).toEqual([])
    expect(keeper.peek('kept')).toBe('v')
  }, 60_000)
})
