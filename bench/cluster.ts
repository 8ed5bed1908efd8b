import { Cluster, Redis } from 'ioredis'
import type { FlipCache, FlipCacheOptions } from '../src/index.js'
import { type RedisCluster, startRedisCluster } from '../test/support/redis-cluster.js'
import type { BenchContext } from './support/context.js'
import { FlipCache as BuiltFlipCache } from './support/flipcache.js'
import { formatCount, formatDuration, formatRatio, formatServerCpu, formatSpread } from './support/format.js'
import {
  type CommandCounter,
  measure,
  percentile,
  ratio,
  ratioSpread,
  resultOf,
  serverWorkAround,
  type TaskSpec,
} from './support/measure.js'
import { SummedCounterReader } from './support/redis-info.js'
import { serverCpuColumn, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

const KEYS = 100

/**
 * flipcache on a private 3-master, 3-replica Redis Cluster: reads against raw ioredis Cluster calls,
 * and how fast an invalidation crosses the cluster with plain PUBLISH against sharded SPUBLISH.
 */
export const cluster: Scenario = {
  name: 'cluster',
  summary: 'on a private 3+3-node Redis Cluster: getMany/get vs raw ioredis, PUBLISH vs SPUBLISH delivery',
  async run(context) {
    let nodes: RedisCluster
    try {
      nodes = await startRedisCluster()
    } catch (error) {
      console.log(`\ncluster: skipped, no local cluster could be started: ${(error as Error).message}`)
      return
    }
    const clients: (Cluster | Redis)[] = []
    const caches: FlipCache<string, string>[] = []
    const open = (options: ConstructorParameters<typeof Cluster>[1] = {}): Cluster => {
      const client = new Cluster(nodes.startupNodes, options)
      client.on('error', () => {})
      clients.push(client)
      return client
    }
    const cache = (options: FlipCacheOptions<string, string>, name: string) => {
      const made = new BuiltFlipCache<string, string>(name, options)
      caches.push(made)
      return made
    }
    // Every node's commands and CPU (the cluster is the run's own): a connection to each, read at once.
    const admins = nodes.startupNodes.map(({ host, port }) => new Redis({ host, port }))
    clients.push(...admins)
    const summed = new SummedCounterReader(admins)
    const counter: CommandCounter = () => summed.read()
    try {
      await reads(context, open, cache, counter)
      await delivery(context, nodes, open, cache, counter)
    } finally {
      await Promise.allSettled(caches.map((each) => each.close()))
      for (const client of clients) client.disconnect()
      await nodes.stop()
    }
  },
}

/** How the cluster's Redis CPU is counted, for the notes of both tables. */
const clusterCpuNote =
  'On a cluster it is the sum over all 6 nodes, replicas too, each read by an INFO of its own (6 in each ' +
  "window), with every node's background work (serverCron, the cluster bus) inside it."

type Open = (options?: ConstructorParameters<typeof Cluster>[1]) => Cluster
type MakeCache = (options: FlipCacheOptions<string, string>, name: string) => FlipCache<string, string>

/** getMany of 100 keys and sequential get(), L1 off, against the best raw ioredis Cluster equivalent. */
async function reads(
  context: BenchContext,
  open: Open,
  cache: MakeCache,
  counter: CommandCounter,
): Promise<void> {
  const keys = Array.from({ length: KEYS }, (_, index) => `user:${index}`)
  const value = JSON.stringify({ id: 1, name: 'Ada Lovelace', active: true })
  const plain = open()
  const piped = open({ enableAutoPipelining: true })
  const spread = cache({ redis: plain, localMax: 0, valueType: 'string' }, context.key('cluster-spread'))
  const tagged = cache(
    { redis: plain, localMax: 0, valueType: 'string', hashTag: true },
    context.key('cluster-tagged'),
  )
  await spread.setMany(keys.map((key) => [key, value]))
  await tagged.setMany(keys.map((key) => [key, value]))
  const spreadKeys = keys.map((key) => `${spread.name}:${key}`)
  const taggedKeys = keys.map((key) => `{${tagged.name}}:${key}`)
  let sink = 0
  const tasks: TaskSpec[] = [
    {
      name: 'raw: 100 GETs, auto-pipelined',
      ops: 1,
      fn: async () => {
        sink += (await Promise.all(spreadKeys.map((key) => piped.get(key)))).length
      },
    },
    { name: 'getMany, keys spread', ops: 1, fn: async () => (sink += (await spread.getMany(keys)).length) },
    {
      name: 'raw: MGET of one slot',
      ops: 1,
      fn: async () => {
        sink += (await plain.mget(taggedKeys)).length
      },
    },
    { name: 'getMany, hashTag', ops: 1, fn: async () => (sink += (await tagged.getMany(keys)).length) },
    {
      name: 'raw: GET',
      ops: 1,
      fn: async () => {
        sink += ((await plain.get(spreadKeys[sink % KEYS] as string)) ?? '').length
      },
    },
    {
      name: 'get, L1 off',
      ops: 1,
      fn: async () => (sink += ((await spread.get(keys[sink % KEYS] as string)) ?? '').length),
    },
  ]
  const results = await measure(tasks, context.timing, counter)
  const row = (name: string, baseline: string): string[] => {
    const task = resultOf(results, name)
    const base = resultOf(results, baseline)
    return [
      name,
      formatCount(task.opsPerSec),
      formatServerCpu(task.serverCpuMsPerK),
      baseline,
      formatServerCpu(base.serverCpuMsPerK),
      formatRatio(ratio(task, base)),
      formatSpread(ratioSpread(task, base)),
    ]
  }
  context.report({
    id: 'cluster-reads',
    title: `Redis Cluster: reads with L1 off on 3 masters (${KEYS} keys of ~60 B)`,
    intro:
      'A private cluster of 3 masters and 3 replicas on this machine. flipcache against the closest raw ioredis ' +
      `Cluster equivalent; calls/s, median of ${context.timing.rounds} rounds. See docs/cluster.md.`,
    columns: [
      { header: 'flipcache' },
      { header: 'calls/s', align: 'right' },
      { header: serverCpuColumn, align: 'right' },
      { header: 'baseline' },
      { header: `baseline's ${serverCpuColumn}`, align: 'right' },
      { header: 'ratio', align: 'right' },
      { header: 'spread', align: 'right' },
    ],
    rows: [
      row('getMany, keys spread', 'raw: 100 GETs, auto-pipelined'),
      row('getMany, hashTag', 'raw: MGET of one slot'),
      row('get, L1 off', 'raw: GET'),
    ],
    notes: [
      'Spread keys: flipcache sends one MGET per slot (100 keys fall in ~100 slots), one pipeline per master.',
      'hashTag: every key in one slot, so one MGET on one master.',
      `${serverCpuColumn}: per 1,000 calls. ${clusterCpuNote} A window of the slower rows holds tens of ` +
        'calls, not hundreds, so the INFOs and the background work weigh more there.',
      serverCpuNote,
    ],
    configs: [
      {
        row: 'getMany, keys spread',
        config: "FlipCache on an ioredis Cluster, localMax 0, valueType 'string'",
      },
      { row: 'getMany, hashTag', config: 'the same with hashTag: true (keys {name}:key)' },
      {
        row: 'raw: 100 GETs, auto-pipelined',
        config: 'ioredis Cluster with enableAutoPipelining, Promise.all of GETs',
      },
    ],
  })
  if (sink < 0) console.log(sink)
}

/**
 * How fast a message reaches a subscriber on another node: plain PUBLISH (the cluster bus carries
 * it to every node) against sharded SPUBLISH (only the channel's shard), and flipcache's own sync.
 */
async function delivery(
  context: BenchContext,
  nodes: RedisCluster,
  open: Open,
  cache: MakeCache,
  counter: CommandCounter,
): Promise<void> {
  const messages = context.quick ? 300 : 2000
  const channel = context.key('cluster-channel')
  const publisher = open()
  await publisher.set(channel, '1')
  const masters = await nodes.masterPorts()
  // The subscriber sits on a master that does not own the channel's slot, as it would for most caches.
  const slot = (await publisher.call('CLUSTER', 'KEYSLOT', channel)) as number
  const owners = (await publisher.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
  const owner = owners.find(([from, to]) => slot >= from && slot <= to)?.[2][1]
  const elsewhere = masters.find((port) => port !== Number(owner)) as number
  const plainSubscriber = new Redis({ host: '127.0.0.1', port: elsewhere })
  const shardedSubscriber = open({ shardedSubscribers: true })
  const rows: string[][] = []
  // Each row's messages between two readings of every node's counters: the CPU per 1,000 messages.
  const row = async (label: string, run: () => Promise<Delays>): Promise<void> => {
    const { value, work } = await serverWorkAround(counter, messages, run)
    rows.push(delayRow(label, value, work.serverCpuMsPerK))
  }
  try {
    await plainSubscriber.subscribe(channel)
    await row('PUBLISH (plain pub/sub)', () =>
      timeMessages(
        messages,
        (text) => publisher.publish(channel, text),
        (listener) => {
          plainSubscriber.on('message', (_channel: string, text: string) => listener(text))
        },
      ),
    )
    await shardedSubscriber.ssubscribe(channel)
    await row('SPUBLISH (sharded pub/sub)', () =>
      timeMessages(
        messages,
        (text) => publisher.spublish(channel, text),
        (listener) => {
          shardedSubscriber.on('smessage', (_channel: string, text: string) => listener(text))
        },
      ),
    )
    await row("flipcache sync 'pubsub' (SPUBLISH)", () => cacheDelays(context, open, cache, messages))
  } finally {
    plainSubscriber.disconnect()
  }
  context.report({
    id: 'cluster-delivery',
    title: `Redis Cluster: delivery of ${formatCount(messages)} messages at ~1,000/s to a subscriber on another master`,
    intro:
      'Why flipcache uses sharded pub/sub on a cluster: plain PUBLISH crosses the cluster bus to every node, ' +
      "SPUBLISH stays in the channel's shard. Delay: from the publish resolving (for flipcache: set() resolving) " +
      'to the subscriber hearing it.',
    columns: [
      { header: 'how' },
      { header: 'heard', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'max', align: 'right' },
      { header: 'publish p50', align: 'right' },
      { header: serverCpuColumn, align: 'right' },
    ],
    rows,
    notes: [
      'publish p50: the round trip of the PUBLISH / SPUBLISH itself (for flipcache: of set()).',
      `${serverCpuColumn}: per 1,000 messages (for flipcache: writes), over the paced messages (idle time ` +
        `between them included, and the 100 ms left for the last to arrive). ${clusterCpuNote}`,
      serverCpuNote,
    ],
  })
}

interface Delays {
  heard: number[]
  published: number[]
}

function delayRow(label: string, { heard, published }: Delays, serverCpuMsPerK: number): string[] {
  heard.sort((a, b) => a - b)
  published.sort((a, b) => a - b)
  return [
    label,
    formatCount(heard.length),
    formatDuration(percentile(heard, 0.5)),
    formatDuration(percentile(heard, 0.99)),
    formatDuration(heard.at(-1) ?? 0),
    formatDuration(percentile(published, 0.5)),
    formatServerCpu(serverCpuMsPerK),
  ]
}

/** Publishes `count` numbered messages at one per ms; the delay of each from its publish resolving to its arrival. */
async function timeMessages(
  count: number,
  publish: (text: string) => Promise<unknown>,
  listen: (listener: (text: string) => void) => void,
): Promise<Delays> {
  const resolvedAt = new Map<number, number>()
  const heardAt = new Map<number, number>()
  listen((text) => heardAt.set(Number(text), performance.now()))
  const published: number[] = []
  const startedAt = performance.now()
  for (let index = 0; index < count; index++) {
    const wait = startedAt + index - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const sentAt = performance.now()
    await publish(String(index))
    resolvedAt.set(index, performance.now())
    published.push(performance.now() - sentAt)
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
  const heard = [...resolvedAt].flatMap(([index, at]) => {
    const arrived = heardAt.get(index)
    return arrived === undefined ? [] : [Math.max(0, arrived - at)]
  })
  return { heard, published }
}

/** flipcache's own invalidation delay across the cluster: a writer's set() to a reader's 'invalidate'. */
async function cacheDelays(
  context: BenchContext,
  open: Open,
  cache: MakeCache,
  writes: number,
): Promise<Delays> {
  const name = context.key('cluster-sync')
  const writer = cache({ redis: open(), valueType: 'string' }, name)
  const reader = cache({ redis: open(), valueType: 'string', localTtl: '1h' }, name)
  await Promise.all([writer.ready(), reader.ready()])
  const keys = Array.from({ length: KEYS }, (_, index) => `key:${index}`)
  await writer.setMany(keys.map((key) => [key, 'v0']))
  await new Promise((resolve) => setTimeout(resolve, 50))
  await reader.getMany(keys)
  const pending = new Map<string, number>()
  const heard: number[] = []
  reader.on('invalidate', ({ keys: changed, origin }) => {
    if (origin !== 'remote' || changed === 'all') return
    const now = performance.now()
    for (const key of changed) {
      if (!pending.has(key)) continue
      const at = pending.get(key) as number
      pending.delete(key)
      // Heard before set() resolved (NaN): a delay of 0, as in the invalidation scenario.
      heard.push(Number.isNaN(at) ? 0 : Math.max(0, now - at))
    }
  })
  const published: number[] = []
  const startedAt = performance.now()
  for (let index = 0; index < writes; index++) {
    const wait = startedAt + index - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const key = keys[index % KEYS] as string
    const sentAt = performance.now()
    pending.set(key, Number.NaN)
    await writer.set(key, `v${index + 1}`)
    if (pending.has(key)) pending.set(key, performance.now())
    published.push(performance.now() - sentAt)
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
  return { heard, published }
}
