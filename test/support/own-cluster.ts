import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { startedBy } from './own-server.js'
import { type RedisCluster, startRedisCluster } from './redis-cluster.js'

/** A test file's own Redis Cluster, and a plain connection to each master (to see what each holds and ran). */
export interface OwnCluster {
  readonly cluster: RedisCluster
  readonly masters: Redis[]
  /** The keys matching `pattern` on each master (SCAN), in master order. */
  keysOnMasters(pattern: string): Promise<string[][]>
}

/**
 * Starts a 3-master, 3-replica cluster before the calling file's tests and stops it after them: one
 * per file, as it is slow. No node is meant to fail: a 5 s node timeout keeps a starved machine from
 * failing one over. Six servers, a cluster create and the first syncs get a minute on a loaded machine.
 */
export function useOwnCluster(nodeTimeoutMs = 5_000): OwnCluster {
  let cluster: RedisCluster | undefined
  let masters: Redis[] | undefined
  beforeAll(async () => {
    cluster = await startRedisCluster(nodeTimeoutMs)
    masters = (await cluster.masterPorts()).map((port) => new Redis({ port, host: '127.0.0.1' }))
  }, 60_000)
  afterAll(async () => {
    for (const master of masters ?? []) master.disconnect()
    await cluster?.stop()
  })
  const started = <T>(value: T | undefined): T => startedBy('useOwnCluster', value)
  return {
    get cluster() {
      return started(cluster)
    },
    get masters() {
      return started(masters)
    },
    keysOnMasters(pattern) {
      return Promise.all(
        started(masters).map(async (master) => {
          const found: string[] = []
          let cursor = '0'
          do {
            const [next, batch] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
            cursor = next
            found.push(...batch)
          } while (cursor !== '0')
          return found
        }),
      )
    },
  }
}
