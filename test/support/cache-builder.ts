import { randomBytes } from 'node:crypto'
import { Cluster, type ClusterNode, Redis } from 'ioredis'
import { afterEach, inject } from 'vitest'
import { FlipCache, type FlipCacheOptions } from '../../src/index.js'

/** A namespace no other test uses, so tests share one server without FLUSHALL. */
export function uniqueName(label = 't'): string {
  return `${label}-${randomBytes(5).toString('hex')}`
}

/**
 * Builds clients and caches on the run's redis-server (or on `url`), and closes every one of them
 * after each test.
 */
export function useCaches(url: () => string = () => inject('redisUrl')) {
  return useCachesOn(() => new Redis(url()))
}

/** The same, on a Redis Cluster: each client is an ioredis `Cluster` of `nodes`. */
export function useClusterCaches(nodes: () => ClusterNode[]) {
  return useCachesOn(() => new Cluster(nodes()))
}

/** What the contract suite needs of a builder, whatever the client. */
export type CacheBuilder = Pick<ReturnType<typeof useCachesOn<Redis | Cluster>>, 'cache' | 'client'>

function useCachesOn<C extends Redis | Cluster>(open: () => C) {
  const clients: C[] = []
  const caches: FlipCache<never, never>[] = []

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()))
    for (const client of clients.splice(0)) client.disconnect()
  })

  const client = (): C => {
    const created = open()
    // Outage tests stop the server: the test client's reconnect errors are expected, not news.
    created.on('error', () => {})
    clients.push(created)
    return created
  }
  let shared: C | undefined
  afterEach(() => {
    shared = undefined
  })

  return {
    /** A new ioredis client of the test's own (disconnected after the test). */
    client,
    /** The client the test's caches share unless told otherwise. */
    sharedClient(): C {
      shared ??= client()
      return shared
    },
    /** A cache on its own namespace (or `name`), sharing the test's client unless `redis` is given. */
    cache<K = string, V = unknown, Raw extends string | Buffer = string>(
      options: FlipCacheOptions<K, V, Raw> = {},
      name = uniqueName(),
    ): FlipCache<K, V> {
      shared ??= client()
      // A Buffer-reading valueDecoder comes with valueDecoderInput: 'buffer' (checked by the caller's Raw).
      const cache = new FlipCache<K, V>(name, { redis: shared, ...options } as FlipCacheOptions<K, V>)
      caches.push(cache as unknown as FlipCache<never, never>)
      return cache
    },
  }
}
