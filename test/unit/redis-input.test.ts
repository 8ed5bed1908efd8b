import { createClient, createCluster } from '@redis/client'
import { Cluster, Redis } from 'ioredis'
import { Redis as Redis5 } from 'ioredis-5'
import { afterEach, describe, expect, it } from 'vitest'
import { FlipCache, type FlipCacheOptions } from '../../src/index.js'
import { resolveOptions } from '../../src/options.js'
import { expectTypeError } from './expect-type-error.js'

/** Options of any shape, to check what resolveOptions() refuses without fighting the types. */
function resolveAnything(options: unknown) {
  return resolveOptions(options as FlipCacheOptions<unknown, unknown>)
}

// Clients made here never connect (lazyConnect, or node-redis without connect()); each is ended after its test.
const opened: { disconnect(): void }[] = []
function lazy<C extends { disconnect(): void }>(client: C): C {
  opened.push(client)
  return client
}
afterEach(() => {
  for (const client of opened.splice(0)) client.disconnect()
})

describe('the redis option refuses what is not ioredis', () => {
  it('a node-redis client is refused with a TypeError naming it and what is accepted', () => {
    const nodeRedis = createClient({ url: 'redis://127.0.0.1:1' })
    expectTypeError(
      // @ts-expect-error a node-redis client is not a RedisInput
      () => new FlipCache('users', { redis: nodeRedis }),
      'Expected `redis` to be an ioredis Redis or Cluster',
      'a redis:// or rediss:// URL',
      'ioredis options (a plain object)',
      'got a node-redis client',
      'new Redis(url)',
    )
  })

  it('a node-redis cluster is refused the same way', () => {
    const nodeRedis = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] })
    expectTypeError(() => resolveAnything({ redis: nodeRedis }), '`redis`', 'got a node-redis client')
  })

  it.each<[string, () => object, string]>([
    [
      'an instance of a class',
      () =>
        new (class ConnectionSettings {
          host = '127.0.0.1'
          port = 6379
        })(),
      'got an instance of ConnectionSettings, not a plain object of ioredis options',
    ],
    ['a Map', () => new Map([['host', '127.0.0.1']]), 'got an instance of Map'],
    ['a promise of a client', () => Promise.resolve(lazy(new Redis({ lazyConnect: true }))), 'got a promise'],
  ])('%s is refused with a TypeError saying what it is', (_label, make, fragment) => {
    expectTypeError(() => resolveAnything({ redis: make() }), 'Expected `redis` to be an ioredis', fragment)
  })

  it('plain objects of ioredis options are still accepted, with a null prototype too', () => {
    const options = { host: '127.0.0.1', port: 6379, retryStrategy: () => 100 }
    expect(resolveOptions({ redis: options }).redis).toBe(options)
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { host: '127.0.0.1' })
    expect(resolveAnything({ redis: bare }).redis).toBe(bare)
  })

  it('ioredis clients are accepted, from ioredis 6 and from another copy (ioredis 5)', () => {
    const six = lazy(new Redis({ lazyConnect: true }))
    expect(resolveOptions({ redis: six }).redis).toBe(six)
    const five = lazy(new Redis5({ lazyConnect: true }))
    expect(resolveAnything({ redis: five }).redis).toBe(five)
    const cluster = lazy(new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true }))
    expect(resolveOptions({ redis: cluster }).redis).toBe(cluster)
  })
})

describe("the redis option refuses ioredis's keyPrefix", () => {
  it.each<[string, () => object]>([
    ['a Redis client', () => lazy(new Redis({ lazyConnect: true, keyPrefix: 'app:' }))],
    ['an ioredis 5 client', () => lazy(new Redis5({ lazyConnect: true, keyPrefix: 'app:' }))],
    [
      'a Cluster with keyPrefix',
      () => lazy(new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, keyPrefix: 'app:' })),
    ],
    [
      'a Cluster with redisOptions.keyPrefix',
      () =>
        lazy(
          new Cluster([{ host: '127.0.0.1', port: 1 }], {
            lazyConnect: true,
            redisOptions: { keyPrefix: 'app:' },
          }),
        ),
    ],
    ['ioredis options', () => ({ host: '127.0.0.1', keyPrefix: 'app:' })],
    ['cluster options', () => ({ cluster: [{ host: '127.0.0.1', port: 7000 }], keyPrefix: 'app:' })],
    [
      'cluster options with redisOptions.keyPrefix',
      () => ({ cluster: [{ host: '127.0.0.1', port: 7000 }], redisOptions: { keyPrefix: 'app:' } }),
    ],
  ])('%s is refused with a TypeError quoting the prefix and saying why', (_label, make) => {
    expectTypeError(
      () => resolveAnything({ redis: make() }),
      "Expected `redis` without ioredis's `keyPrefix`",
      "keyPrefix 'app:'",
      'SCAN',
      "the cache's name is its namespace",
    )
  })

  it('an empty keyPrefix is no prefix, and is accepted', () => {
    const client = lazy(new Redis({ lazyConnect: true, keyPrefix: '' }))
    expect(resolveOptions({ redis: client }).redis).toBe(client)
    const options = { host: '127.0.0.1', keyPrefix: '' }
    expect(resolveOptions({ redis: options }).redis).toBe(options)
  })
})
