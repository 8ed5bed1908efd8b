import { afterEach, describe, expect, it, vi } from 'vitest'
import { FlipCacheKeyvStore } from '../../src/keyv/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { type Item, type ItemsApp, startItemsApp } from '../support/nest-items-app.js'

// Two NestJS app instances (two "processes") with CacheModule + CacheInterceptor over the flipcache
// Keyv store: two FlipCaches of one namespace on ioredis clients of their own, real Redis.

describe('NestJS CacheModule over FlipCacheKeyvStore', () => {
  const { cache, client } = useCaches()
  const apps: ItemsApp[] = []
  afterEach(async () => {
    for (const { app } of apps.splice(0)) await app.close()
  })

  async function start(): Promise<[ItemsApp, ItemsApp, ReturnType<typeof cache<string, string>>[]]> {
    const name = uniqueName('nest')
    const caches = ['a', 'b'].map(() =>
      cache<string, string>({ redis: client(), valueType: 'string', expireTime: 60_000 }, name),
    )
    await Promise.all(caches.map((each) => each.ready()))
    const started = await Promise.all(
      caches.map((each, index) => startItemsApp(new FlipCacheKeyvStore(each), index === 0 ? 'a' : 'b')),
    )
    apps.push(...started)
    return [started[0] as ItemsApp, started[1] as ItemsApp, caches]
  }

  async function getItem(app: ItemsApp, id: string): Promise<Item> {
    const response = await fetch(`${app.url}/items/${id}`)
    expect(response.status).toBe(200)
    return (await response.json()) as Item
  }

  it('CacheInterceptor: a response cached by one app is served by the other, and a write through one invalidates the other L1 copy', async () => {
    const [a, b, [cacheA, cacheB]] = await start()
    if (cacheA === undefined || cacheB === undefined) throw new Error('two caches expected')

    expect(await getItem(a, '1')).toEqual({ id: '1', name: 'first (a)', servedBy: 'a' })
    expect(a.catalog.handlerCalls).toBe(1)
    // b's handler never runs: the response a cached is served from Redis, then from b's L1.
    expect(await getItem(b, '1')).toEqual({ id: '1', name: 'first (a)', servedBy: 'a' })
    expect(cacheB.peek('keyv:/items/1')).toBeDefined()
    const localHits = cacheB.stats().localHits
    expect(await getItem(b, '1')).toEqual({ id: '1', name: 'first (a)', servedBy: 'a' })
    expect(cacheB.stats().localHits).toBe(localHits + 1)
    expect(b.catalog.handlerCalls).toBe(0)

    const put = await fetch(`${a.url}/items/1`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'second' }),
    })
    expect(put.status).toBe(200)
    await vi.waitFor(() => expect(cacheB.peek('keyv:/items/1')).toBeUndefined())
    expect(await getItem(b, '1')).toEqual({ id: '1', name: 'second', servedBy: 'a' })
    expect(await getItem(a, '1')).toEqual({ id: '1', name: 'second', servedBy: 'a' })
    expect(b.catalog.handlerCalls).toBe(0)
    expect(a.catalog.handlerCalls).toBe(1)
    // The interceptor stored it with CacheModule's ttl (30 s), under the cache's own expireTime.
    const ttl = await cacheA.ttl('keyv:/items/1')
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(30_000)
  })

  it('app.close() disconnects the store: it leaves a FlipCache it does not own open, and closes one it owns', async () => {
    const [a, , [cacheA]] = await start()
    if (cacheA === undefined) throw new Error('a cache expected')
    await getItem(a, '2')
    await a.app.close()
    apps.splice(apps.indexOf(a), 1)
    expect(await cacheA.get('keyv:/items/2')).toBeDefined()

    const owned = cache<string, string>({ redis: client(), valueType: 'string' })
    const c = await startItemsApp(new FlipCacheKeyvStore(owned, { closeOnDisconnect: true }), 'c')
    await getItem(c, '3')
    expect(await owned.get('keyv:/items/3')).toBeDefined()
    await c.app.close()
    await expect(owned.get('keyv:/items/3')).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})
