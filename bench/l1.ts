import diagnostics from 'node:diagnostics_channel'
import QuickLRU from 'quick-lru'
import { type FlipCache, operationChannelName } from '../src/index.js'
import { type PeerCache, peers } from './peers/index.js'
import type { Bar, Target } from './report/model.js'
import { type User, users } from './support/data.js'
import { formatCount, formatRatio } from './support/format.js'
import { type Measured, measure, ratio, resultOf, type TaskSpec } from './support/measure.js'
import { barKind, measuredCells, measuredColumns, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

const KEYS = 1000
/** flipcache's L1 hit: at least half the rate of a bare quick-lru, and 5x the fastest peer's default. */
const LRU_TARGET = 0.5
const PEER_TARGET = 5
/** L1 exactly the size of the working set (quick-lru then moves every hit between its two generations), and roomy. */
const SIZES = [KEYS, KEYS * 10]
const TTL_MS = 3_600_000
const TRACED_ROW = 'flipcache get, flipcache:get subscribed'

/** `run` with a no-op subscriber on the get channel, taken off after. */
async function whileGetsTraced<T>(run: () => Promise<T>): Promise<T> {
  const channel = diagnostics.tracingChannel(operationChannelName('get'))
  const noop = (): void => {}
  const handlers = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop }
  channel.subscribe(handlers)
  try {
    return await run()
  } finally {
    channel.unsubscribe(handlers)
  }
}

/** L1-hit `get` against a bare Map and a bare quick-lru holding the same objects, and the peers' memory tiers. */
export const l1: Scenario = {
  name: 'l1',
  summary: `L1-hit get of ${KEYS} warm keys vs a bare Map, a bare quick-lru and the peers' memory tiers`,
  inProcess: true,
  async run(context) {
    const entries = users(KEYS)
    const keys = entries.map(([key]) => key)
    const redis = await context.client()
    const map = new Map<string, User>(entries)
    // Summing the ids keeps the reads from being optimised away.
    let sink = 0
    const tasks: TaskSpec[] = [
      {
        name: 'Map',
        ops: KEYS,
        fn: async () => {
          for (const key of keys) sink += (await map.get(key))?.id ?? 0
        },
      },
    ]
    const configs: { row: string; config: string }[] = [
      { row: 'Map', config: 'a bare `Map` of the same objects, each get awaited' },
    ]
    const caches: { size: number; cache: FlipCache<string, User> }[] = []
    for (const size of SIZES) {
      const lru = new QuickLRU<string, User>({ maxSize: size })
      for (const [key, value] of entries) lru.set(key, value)
      // localTtl well past the run, so that no L1 copy lapses while it is measured.
      const cache = context.cache<string, User>(`l1-${size}`, { redis, localMax: size, localTtl: '1h' })
      await cache.setMany(entries)
      caches.push({ size, cache })
      tasks.push(
        {
          name: `quick-lru maxSize ${size}`,
          ops: KEYS,
          fn: async () => {
            for (const key of keys) sink += (await lru.get(key))?.id ?? 0
          },
        },
        {
          name: `flipcache localMax ${size}`,
          ops: KEYS,
          fn: async () => {
            for (const key of keys) sink += (await cache.get(key))?.id ?? 0
          },
        },
      )
      configs.push(
        { row: `quick-lru maxSize ${size}`, config: `a bare quick-lru of maxSize ${size}, each get awaited` },
        {
          row: `flipcache localMax ${size}`,
          config: `FlipCache, localMax ${size}, localTtl 1 h, default valueType (superjson), sync 'pubsub'`,
        },
      )
    }
    const largestCache = caches[caches.length - 1]?.cache
    if (largestCache === undefined) throw new Error('l1: no flipcache to measure')
    const loadUser = async (): Promise<User> => {
      throw new Error('l1: getOrSet called its loader on a warm key')
    }
    // The same reads, each handed a copy of its own (cloneOnRead: an encode and a decode per hit).
    const cloning = context.cache<string, User>('l1-clone', {
      redis,
      localMax: KEYS * 10,
      localTtl: '1h',
      cloneOnRead: true,
    })
    await cloning.setMany(entries)
    tasks.push(
      {
        name: 'flipcache getOrSet, L1 hit',
        ops: KEYS,
        fn: async () => {
          for (const key of keys) sink += (await largestCache.getOrSet(key, loadUser)).id
        },
      },
      {
        name: 'flipcache get, cloneOnRead',
        ops: KEYS,
        fn: async () => {
          for (const key of keys) sink += (await cloning.get(key))?.id ?? 0
        },
      },
    )
    configs.push(
      {
        row: 'flipcache getOrSet, L1 hit',
        config: `the flipcache localMax ${KEYS * 10} cache, read with getOrSet(key, loader) (every key warm: the loader never runs)`,
      },
      {
        row: 'flipcache get, cloneOnRead',
        config: `as flipcache localMax ${KEYS * 10}, with cloneOnRead: true (each hit returns a copy, encoded and decoded with superjson)`,
      },
      {
        row: TRACED_ROW,
        config: `the flipcache localMax ${KEYS * 10} cache, with a subscriber (five no-op functions) on the \`flipcache:get\` tracing channel: each get builds its context and publishes start, end, asyncStart and asyncEnd. Timed on its own, after every other row (which run with nobody subscribed): subscribing once, as an APM does, not around each round (a subscribe and unsubscribe per round slows the unsubscribed path too, by deoptimizing it)`,
      },
    )
    const peerRows: { peer: PeerCache; copyFree: boolean }[] = []
    const skipped: string[] = []
    for (const factory of peers) {
      for (const copyFree of factory.hasCopyFree ? [false, true] : [false]) {
        if (context.inProcess) {
          // The peers' memory tiers sit in front of a Redis of their own: no row without a server.
          skipped.push(`${factory.name}${copyFree ? ' copy-free' : ''} (memory + Redis)`)
          continue
        }
        const peer = context.own(
          await factory.create({
            redisUrl: context.url,
            namespace: context.key('l1', factory.name, copyFree ? 'copy-free' : 'default'),
            tier: 'memory+redis',
            copyFree,
          }),
        )
        await peer.setMany(entries, TTL_MS)
        for (const key of keys) await peer.get(key)
        peerRows.push({ peer, copyFree })
        tasks.push({
          name: peer.label,
          ops: KEYS,
          fn: async () => {
            for (const key of keys) sink += (await peer.get(key))?.id ?? 0
          },
        })
        configs.push({ row: peer.label, config: peer.config })
      }
    }
    if (skipped.length > 0)
      console.log(`  l1: rows left out, as they need a Redis server: ${skipped.join(', ')}`)
    const results = await measure(tasks, context.timing, context.commands)
    results.set(
      TRACED_ROW,
      await whileGetsTraced(async () => {
        const traced: TaskSpec = {
          name: TRACED_ROW,
          ops: KEYS,
          fn: async () => {
            for (const key of keys) sink += (await largestCache.get(key))?.id ?? 0
          },
        }
        return resultOf(await measure([traced], context.timing, context.commands), TRACED_ROW)
      }),
    )

    const notes: string[] = []
    if (skipped.length > 0) notes.push(`Rows left out, as they need a Redis server: ${skipped.join(', ')}.`)
    // Each row's tier, checked: an in-process hit sends Redis nothing.
    for (const { name } of tasks) {
      const perOp = resultOf(results, name).commandsPerOp
      if (perOp > 0.01)
        notes.push(`WARNING: ${name} sent Redis ${perOp.toFixed(2)} commands per get: not an L1 hit`)
    }
    for (const { size, cache } of caches) {
      const stats = cache.stats()
      if (stats.remoteHits > 0 || stats.misses > 0) {
        notes.push(
          `WARNING: flipcache localMax ${size} went to Redis (${stats.remoteHits} Redis hits, ${stats.misses} misses)`,
        )
      }
      const sample = await cache.get('user:7')
      if (sample?.email !== 'user.7@example.com')
        throw new Error(`l1: unexpected value ${JSON.stringify(sample)}`)
    }
    const cloned = cloning.stats()
    if (cloned.remoteHits > 0 || cloned.misses > 0) {
      notes.push(
        `WARNING: flipcache get, cloneOnRead went to Redis (${cloned.remoteHits} Redis hits, ${cloned.misses} misses)`,
      )
    }
    const copy = await cloning.get('user:7')
    if (copy === undefined || copy === (await cloning.get('user:7')) || copy.email !== 'user.7@example.com')
      throw new Error(`l1: cloneOnRead did not return a copy of its own: ${JSON.stringify(copy)}`)
    if (sink <= 0) throw new Error('l1: the reads returned nothing')

    const lruOf = (size: number) => resultOf(results, `quick-lru maxSize ${size}`)
    const flipcacheOf = (size: number) => resultOf(results, `flipcache localMax ${size}`)
    const largest = SIZES[SIZES.length - 1] as number
    const bestFlipcache = flipcacheOf(largest)
    const row = (result: Measured, lru: Measured): string[] => [
      result.name,
      ...measuredCells(result, lru),
      formatRatio(ratio(bestFlipcache, result)),
    ]
    const rows = [row(resultOf(results, 'Map'), lruOf(largest))]
    for (const size of SIZES) rows.push(row(lruOf(size), lruOf(size)), row(flipcacheOf(size), lruOf(size)))
    for (const name of ['flipcache getOrSet, L1 hit', 'flipcache get, cloneOnRead', TRACED_ROW])
      rows.push(row(resultOf(results, name), lruOf(largest)))
    for (const { peer } of peerRows) rows.push(row(resultOf(results, peer.label), lruOf(largest)))

    const targets: Target[] = SIZES.map((size) => {
      const measured = ratio(flipcacheOf(size), lruOf(size))
      return {
        what: `L1-hit get, flipcache localMax ${size} vs quick-lru maxSize ${size}`,
        measured: formatRatio(measured),
        target: `≥ ${LRU_TARGET.toFixed(2)}×`,
        pass: measured >= LRU_TARGET,
        ...(measured >= LRU_TARGET
          ? {}
          : {
              why:
                "each hit also checks the copy's localTtl and Redis expiry and counts it in stats, inside an " +
                'async method; a quick-lru the size of the working set moves every hit between its generations',
            }),
      }
    })
    const defaults = peerRows
      .filter(({ copyFree }) => !copyFree)
      .map(({ peer }) => resultOf(results, peer.label))
    const fastestPeer = [...defaults].sort((a, b) => b.opsPerSec - a.opsPerSec)[0]
    if (fastestPeer !== undefined) {
      const measured = ratio(bestFlipcache, fastestPeer)
      targets.push({
        what: `L1-hit get, flipcache vs the fastest peer in its default configuration (${fastestPeer.name})`,
        measured: formatRatio(measured),
        target: `≥ ${PEER_TARGET}×`,
        pass: measured >= PEER_TARGET,
        ...(measured >= PEER_TARGET ? {} : { why: 'see the l1 table: the fastest peer is closer than 5x' }),
      })
    }
    const peerLabels = peerRows.map(({ peer }) => peer.label)
    const bars: Bar[] = tasks.map(({ name }) => ({
      label: name,
      value: resultOf(results, name).opsPerSec,
      kind: barKind(name, peerLabels),
    }))
    context.report({
      id: 'l1',
      title: `L1 hit: sequential \`await get(k)\` over ${formatCount(KEYS)} warm keys`,
      intro:
        `Every library holds the same ${formatCount(KEYS)} objects of ~110 bytes (as JSON) in its in-process tier; ` +
        'each row reads all of them with awaited gets, over and over. op = one get; cmds/op = Redis commands ' +
        'per get counted on the server during the timed runs (0: the tier is really in memory).',
      columns: [
        { header: 'task' },
        ...measuredColumns('vs quick-lru'),
        { header: 'flipcache is', align: 'right' },
      ],
      rows,
      notes: [
        `vs quick-lru: against the quick-lru of the same size (the ${formatCount(largest)} one for Map and peers).`,
        `flipcache is: how many times faster flipcache localMax ${formatCount(largest)} is than the row.`,
        "BentoCache's copy-free mode (memoryDriver({ serialize: false })) has no row: in 1.6.1 a key read from " +
          'Redis into it throws on its next read (bentocache issue #111).',
        serverCpuNote,
        ...notes,
      ],
      configs,
      charts: [
        {
          id: 'l1',
          title: 'L1 hit: awaited gets per second',
          unit: 'ops/s',
          bars,
          log: true,
          better: 'higher',
        },
      ],
      targets,
    })
  },
}
