import { afterAll, beforeAll } from 'vitest'
import { useClusterCaches } from '../support/cache-builder.js'
import { describeContract } from '../support/contract-suite.js'
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js'

// The same contract as on a single redis-server, on a real 3-master, 3-replica cluster.
let cluster: RedisCluster
// No node is meant to fail here: a 5 s node timeout keeps a starved machine from failing one over.
// Six servers, a cluster create and the first syncs get a minute on a loaded machine.
beforeAll(async () => {
  cluster = await startRedisCluster(5_000)
}, 60_000)
afterAll(() => cluster?.stop())

describeContract('a Redis Cluster', () => useClusterCaches(() => cluster.startupNodes))
describeContract('a Redis Cluster with hashTag', () => useClusterCaches(() => cluster.startupNodes), {
  hashTag: true,
})
