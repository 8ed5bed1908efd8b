import { type Cluster, Redis } from 'ioredis'
import { afterEach, inject } from 'vitest'
import { FlipList, type FlipListOptions, FlipRanking, type FlipRankingOptions } from '../../src/index.js'
import { uniqueName } from './cache-builder.js'

interface Closable {
  close(): Promise<void>
}

/**
 * Builds FlipLists and FlipRankings on the run's redis-server (or on the client `open` makes), each
 * on a namespace of its own, and closes them and their clients after each test.
 */
export function useStructures(open: () => Redis | Cluster = () => new Redis(inject('redisUrl'))) {
  const clients: (Redis | Cluster)[] = []
  const structures: Closable[] = []
  let shared: Redis | Cluster | undefined

  afterEach(async () => {
    await Promise.all(structures.splice(0).map((structure) => structure.close()))
    for (const client of clients.splice(0)) client.disconnect()
    shared = undefined
  })

  const client = (): Redis | Cluster => {
    const created = open()
    created.on('error', () => {})
    clients.push(created)
    return created
  }
  const sharedClient = (): Redis | Cluster => {
    shared ??= client()
    return shared
  }

  return {
    client,
    sharedClient,
    /** Closes `structure` (built by the test itself) after the test. */
    track<T extends Closable>(structure: T): T {
      structures.push(structure)
      return structure
    },
    /** A FlipList on its own namespace (or `name`), on the test's shared client unless `redis` is given. */
    list<K = string, V = unknown>(options: FlipListOptions<K, V>, name = uniqueName('list')): FlipList<K, V> {
      const list = new FlipList<K, V>(name, { redis: sharedClient(), ...options })
      structures.push(list)
      return list
    },
    /** A FlipRanking on its own namespace (or `name`), on the test's shared client unless `redis` is given. */
    ranking<K = string, M = string>(
      options: FlipRankingOptions<K, M> = {},
      name = uniqueName('ranking'),
    ): FlipRanking<K, M> {
      const ranking = new FlipRanking<K, M>(name, { redis: sharedClient(), ...options })
      structures.push(ranking)
      return ranking
    },
  }
}
