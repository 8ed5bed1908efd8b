import type { Bar } from './report/model.js'
import {
  formatCommands,
  formatCount,
  formatDuration,
  formatRatio,
  formatRme,
  formatServerCpu,
} from './support/format.js'
import { measure, ratio, resultOf } from './support/measure.js'
import { serverCpuColumn, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

const KEYS = 1000

/**
 * flipcache's published benchmark, from its Python ancestor: 1,000 sequential SETs, then rounds of
 * 1,000 sequential GETs, through raw ioredis and through a FlipCache (whose gets are L1 hits).
 */
export const published: Scenario = {
  name: 'published',
  summary: `${KEYS} sequential sets, then rounds of ${KEYS} sequential gets: raw ioredis vs FlipCache`,
  async run(context) {
    const rounds = context.quick ? 10 : 100
    const setPasses = context.quick ? 3 : 5
    const redis = await context.client()
    const cache = context.cache<number, number>('published', { redis, localMax: 1000, keyType: 'int' })
    const rawPrefix = context.key('my_cache')

    const setTasks = [
      {
        name: 'ioredis set',
        ops: KEYS,
        fn: async () => {
          for (let i = 0; i < KEYS; i++) await redis.set(`${rawPrefix}:${i}`, i * 2)
        },
      },
      {
        name: 'flipcache set',
        ops: KEYS,
        fn: async () => {
          for (let i = 0; i < KEYS; i++) await cache.set(i, i * 2)
        },
      },
    ]
    // Summing the replies keeps the reads from being optimised away.
    let sink = 0
    const getTasks = [
      {
        name: 'ioredis get',
        ops: KEYS,
        fn: async () => {
          for (let i = 0; i < KEYS; i++) sink += Number(await redis.get(`${rawPrefix}:${i}`))
        },
      },
      {
        name: 'flipcache get',
        ops: KEYS,
        fn: async () => {
          for (let i = 0; i < KEYS; i++) sink += (await cache.get(i)) ?? 0
        },
      },
    ]
    // Like the original: a fixed amount of work, no warm-up; each set pass rewrites the same keys.
    const sets = await measure(
      setTasks,
      { time: 0, warmupTime: 0, warmup: false, rounds: 1, iterations: setPasses },
      context.commands,
    )
    const gets = await measure(
      getTasks,
      { time: 0, warmupTime: 0, warmup: false, rounds: 1, iterations: rounds },
      context.commands,
    )

    const [raw, cached] = [await redis.get(`${rawPrefix}:${KEYS - 1}`), await cache.get(KEYS - 1)]
    if (raw !== String((KEYS - 1) * 2) || cached !== (KEYS - 1) * 2 || sink <= 0) {
      throw new Error(`published: unexpected values read back (ioredis ${raw}, flipcache ${cached})`)
    }
    const stats = cache.stats()

    const rows = [
      ['set', 'ioredis set', 'flipcache set', setPasses],
      ['get', 'ioredis get', 'flipcache get', rounds],
    ] as const
    const table: string[][] = []
    const bars: Bar[] = []
    for (const [kind, rawName, cacheName, passes] of rows) {
      const results = kind === 'set' ? sets : gets
      const raw = resultOf(results, rawName)
      for (const result of [raw, resultOf(results, cacheName)]) {
        table.push([
          `${result.name} ×${formatCount(KEYS)}`,
          String(passes),
          formatDuration(result.iterationMs),
          formatRme(result.rme),
          formatDuration(result.opMs),
          formatCount(result.opsPerSec),
          formatCommands(result.commandsPerOp),
          formatServerCpu(result.serverCpuMsPerK),
          formatRatio(ratio(result, raw)),
        ])
        bars.push({
          label: result.name,
          value: result.opsPerSec,
          kind: result.name.startsWith('flipcache') ? 'flipcache' : 'baseline',
        })
      }
    }
    context.report({
      id: 'published',
      title: `flipcache's published benchmark: ${formatCount(KEYS)} sequential sets, then gets`,
      intro:
        "The benchmark flipcache's Python ancestor published: 1,000 sequential awaited SETs, then passes of " +
        "1,000 sequential awaited GETs, through raw ioredis and through a FlipCache (keyType 'int', superjson " +
        'values, localMax 1000), whose gets are L1 hits. A fixed amount of work, no warm-up.',
      columns: [
        { header: 'task' },
        { header: 'passes', align: 'right' },
        { header: 'mean/pass', align: 'right' },
        { header: '', align: 'right' },
        { header: 'mean/op', align: 'right' },
        { header: 'ops/s', align: 'right' },
        { header: 'cmds/op', align: 'right' },
        { header: serverCpuColumn, align: 'right' },
        { header: 'vs ioredis', align: 'right' },
      ],
      rows: table,
      notes: [
        `op = one set or get call; a pass = ${formatCount(KEYS)} of them. flipcache gets are L1 hits`,
        `(stats: ${formatCount(stats.localHits)} local hits, ${formatCount(stats.remoteHits)} Redis hits, ${formatCount(stats.misses)} misses).`,
        serverCpuNote,
      ],
      configs: [
        {
          row: 'ioredis set / get',
          config: 'an ioredis client, SET / GET of `my_cache:<i>` with the number as value',
        },
        {
          row: 'flipcache set / get',
          config: "FlipCache, keyType 'int', localMax 1000, default valueType (superjson), sync 'pubsub'",
        },
      ],
      charts: [
        {
          id: 'published',
          title: 'Published benchmark: sequential calls',
          unit: 'ops/s',
          bars,
          log: true,
          better: 'higher',
        },
      ],
    })
  },
}
