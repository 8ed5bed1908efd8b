import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { freePort, type RedisServer, startRedisServer } from './redis-server.js'
import { cliBinary, serverBinary } from './server-binary.js'

const run = promisify(execFile)

/** A private Redis Cluster on 127.0.0.1: 3 masters, a replica each, started and stopped by the tests. */
export interface RedisCluster {
  /** Every node, masters and replicas, in start order. */
  readonly nodes: RedisServer[]
  /** Where an ioredis `Cluster` starts (every node). */
  readonly startupNodes: { host: string; port: number }[]
  /** The port of each master now, as the cluster says (changes after a failover). */
  masterPorts(): Promise<number[]>
  /** Resolves once every live node reports `cluster_state:ok` and knows `masters` live masters with their slots. */
  waitHealthy(masters?: number, timeoutMs?: number): Promise<void>
  /**
   * Has the replica of the master on `masterPort` take over now (`CLUSTER FAILOVER TAKEOVER`, which
   * needs neither that master nor a vote): for a cluster started with `manualFailover`.
   */
  failover(masterPort: number, timeoutMs?: number): Promise<void>
  /**
   * Resolves once the replica of the master on `masterPort` has every write that master had when
   * this was called (Redis replicates asynchronously: a loaded machine can lag a second or more).
   */
  waitReplicated(masterPort: number, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export interface ClusterOptions {
  /**
   * Replicas never take over by themselves (`cluster-replica-no-failover yes`), only when the test
   * calls `failover`, and the masters still up keep serving their slots meanwhile
   * (`cluster-require-full-coverage no`): the test, not the timing of an election, decides how long
   * a killed master stays down.
   */
  manualFailover?: boolean
  /**
   * The server binary of each of the 3 shards, master and replica alike (an older replica cannot
   * replicate from a newer master): a cluster of mixed versions. By default every node runs
   * `serverBinary()`. The cluster is then created from the masters, and each replica joined to the
   * master of its shard: `nodes` are the masters of shards 0, 1, 2, then their replicas in that order.
   */
  shardBinaries?: readonly [string, string, string]
}

const clusterArgs = (busPort: number, nodeTimeoutMs: number, manualFailover: boolean): string[] => [
  ...(manualFailover
    ? ['--cluster-replica-no-failover', 'yes', '--cluster-require-full-coverage', 'no']
    : []),
  '--cluster-enabled',
  'yes',
  '--cluster-port',
  String(busPort),
  '--cluster-node-timeout',
  String(nodeTimeoutMs),
  // A replica may take over however long it was cut off: the failover test kills masters outright.
  '--cluster-replica-validity-factor',
  '0',
  // Replicas sync at once (the default waits 5 s for more replicas before a diskless transfer).
  '--repl-diskless-sync-delay',
  '0',
]

/**
 * Starts 6 `redis-server --cluster-enabled yes` on free ports (the bus on a free port of its own,
 * not port + 10000), joins them with `redis-cli --cluster create --cluster-replicas 1` (the CLI
 * `cliBinary()` picks: `FLIPCACHE_REDIS_CLI`, or the one next to `FLIPCACHE_REDIS_SERVER`), and waits
 * for `cluster_state:ok`. `nodeTimeoutMs` is how long a silent master takes to be failed over.
 */
export async function startRedisCluster(
  nodeTimeoutMs = 1000,
  { manualFailover = false, shardBinaries }: ClusterOptions = {},
): Promise<RedisCluster> {
  const starts = await Promise.allSettled(
    Array.from({ length: 6 }, async (_, index) =>
      startRedisServer(
        async () => clusterArgs(await freePort(), nodeTimeoutMs, manualFailover),
        shardBinaries?.[index % 3] ?? serverBinary(),
      ),
    ),
  )
  const nodes = starts.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []))
  const failed = starts.find((start) => start.status === 'rejected')
  if (failed !== undefined) {
    // The nodes that did start are stopped too: left running, they would outlive the test run.
    await Promise.all(nodes.map((node) => node.stop()))
    throw failed.reason
  }
  const addresses = nodes.map((node) => `127.0.0.1:${node.port}`)
  const cli = cliBinary()
  try {
    if (shardBinaries === undefined)
      await run(cli, ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'])
    else await createByShard(cli, nodes, addresses)
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()))
    throw new Error(`${cli} --cluster create failed: ${(error as Error).message}`)
  }
  const cluster: RedisCluster = {
    nodes,
    startupNodes: nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    async masterPorts() {
      for (const node of nodes) {
        const shards = await ask(node.port, (client) => client.call('CLUSTER', 'SLOTS'))
        if (shards === undefined) continue
        return masterPortsOf(shards)
      }
      throw new Error('No cluster node answers')
    },
    async waitHealthy(masters = 3, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const states = await Promise.all(nodes.map((node) => health(node.port)))
        const live = new Set(nodes.filter((_, index) => states[index] !== undefined).map((node) => node.port))
        // Healthy: every live node says ok, and names `masters` masters, every one of them alive.
        const healthy = states.every(
          (state) =>
            state === undefined ||
            (state.ok && state.masters.length === masters && state.masters.every((port) => live.has(port))),
        )
        if (live.size > 0 && healthy) return
        if (Date.now() > deadline) {
          throw new Error(`The cluster was not healthy within ${timeoutMs} ms: ${JSON.stringify(states)}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async failover(masterPort, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        for (const node of nodes) {
          const replication = await ask(node.port, (client) => client.info('replication'))
          if (!replication?.includes('role:slave')) continue
          if (!replication.includes(`master_port:${masterPort}\r\n`)) continue
          const reply = await ask(node.port, (client) => client.call('CLUSTER', 'FAILOVER', 'TAKEOVER'))
          if (reply === 'OK') return
        }
        // A node that did not answer in time (a loaded machine) is asked again.
        if (Date.now() > deadline) throw new Error(`No replica of the master on ${masterPort} took over`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async waitReplicated(masterPort, timeoutMs = 15_000) {
      const offsetOf = (info: string | undefined, field: string): number =>
        Number(new RegExp(`${field}:(\\d+)`).exec(info ?? '')?.[1] ?? Number.NaN)
      const target = offsetOf(
        await ask(masterPort, (client) => client.info('replication')),
        'master_repl_offset',
      )
      const deadline = Date.now() + timeoutMs
      for (;;) {
        for (const node of nodes) {
          const replication = await ask(node.port, (client) => client.info('replication'))
          if (!replication?.includes('role:slave') || !replication.includes(`master_port:${masterPort}\r\n`))
            continue
          if (offsetOf(replication, 'slave_repl_offset') >= target) return
        }
        if (Date.now() > deadline)
          throw new Error(`The replica of ${masterPort} did not catch up within ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()))
    },
  }
  try {
    await cluster.waitHealthy()
    await waitReplicasInSync(nodes.map((node) => node.port))
  } catch (error) {
    await cluster.stop()
    throw error
  }
  return cluster
}

/** Creates the cluster from nodes 0-2, then has node 3 + i replicate node i. */
async function createByShard(cli: string, nodes: RedisServer[], addresses: string[]): Promise<void> {
  await run(cli, [
    '--cluster',
    'create',
    ...addresses.slice(0, 3),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ])
  for (let shard = 0; shard < 3; shard++) {
    const master = nodes[shard] as RedisServer
    const id = await ask(master.port, (client) => client.call('CLUSTER', 'MYID'))
    if (typeof id !== 'string') throw new Error(`The master on ${master.port} did not say its id`)
    const replica = addresses[shard + 3] as string
    const existing = addresses[shard] as string
    await run(cli, ['--cluster', 'add-node', replica, existing, '--cluster-slave', '--cluster-master-id', id])
  }
}

/** Resolves once every replica's link to its master is up and its first sync is done. */
async function waitReplicasInSync(ports: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const replication = await Promise.all(
      ports.map((port) => ask(port, (client) => client.info('replication'))),
    )
    const synced = replication.every(
      (info) =>
        info !== undefined &&
        (info.includes('role:master') ||
          (info.includes('master_link_status:up') && info.includes('master_sync_in_progress:0'))),
    )
    if (synced) return
    if (Date.now() > deadline) throw new Error(`The replicas were not in sync within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** `cluster_state:ok`, and the masters with slots a node knows; `undefined` when it does not answer. */
async function health(port: number): Promise<{ ok: boolean; masters: number[] } | undefined> {
  return ask(port, async (client) => {
    const info = String(await client.call('CLUSTER', 'INFO'))
    const shards = await client.call('CLUSTER', 'SLOTS')
    return { ok: info.includes('cluster_state:ok'), masters: masterPortsOf(shards) }
  })
}

/** The distinct master ports of a `CLUSTER SLOTS` reply (a master may serve several slot ranges). */
function masterPortsOf(slots: unknown): number[] {
  const ranges = slots as [number, number, [string, number]][]
  return [...new Set(ranges.map(([, , [, port]]) => Number(port)))]
}

/** Runs `question` on a short-lived connection to one node; `undefined` when the node does not answer. */
async function ask<T>(port: number, question: (client: Redis) => Promise<T>): Promise<T | undefined> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    return await question(client)
  } catch {
    return undefined
  } finally {
    client.disconnect()
  }
}
