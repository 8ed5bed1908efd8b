import QuickLRU from 'quick-lru'
import type { FlipCache } from '../src/index.js'
import { type User, users } from './support/data.js'
import {
  formatCount,
  formatDuration,
  formatRatio,
  formatRme,
  formatSpread,
  verdict,
} from './support/format.js'
import { type Measured, measure, ratio, ratioSpread, resultOf } from './support/measure.js'
import type { Scenario } from './support/scenario.js'
import { printTable } from './support/table.js'

const KEYS = 1000
const TARGET = 0.5
/** L1 exactly the size of the working set (quick-lru then moves every hit between its two generations), and roomy. */
const SIZES = [KEYS, KEYS * 10]

/** L1-hit `get` against a bare Map and a bare quick-lru holding the same objects. */
export const l1: Scenario = {
  name: 'l1',
  summary: `L1-hit get of ${KEYS} warm keys vs a bare Map and a bare quick-lru`,
  async run(context) {
    const entries = users(KEYS)
    const keys = entries.map(([key]) => key)
    const redis = await context.client()
    const map = new Map<string, User>(entries)
    // Summing the ids keeps the reads from being optimised away.
    let sink = 0
    const tasks = [
      {
        name: 'Map',
        ops: KEYS,
        fn: async () => {
          for (const key of keys) sink += (await map.get(key))?.id ?? 0
        },
      },
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
    }
    const results = await measure(tasks, context.timing)

    const notes: string[] = []
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
    if (sink <= 0) throw new Error('l1: the reads returned nothing')

    const mapResult = resultOf(results, 'Map')
    const row = (result: Measured, lru: Measured | undefined): string[] => [
      result.name,
      formatCount(result.opsPerSec),
      formatDuration(result.opMs),
      formatRme(result.rme),
      formatRatio(ratio(result, mapResult)),
      lru === undefined ? '' : formatRatio(ratio(result, lru)),
      lru === undefined ? '' : formatSpread(ratioSpread(result, lru)),
      lru === undefined ? '' : verdict(ratio(result, lru), TARGET),
    ]
    const rows = [row(mapResult, undefined)]
    for (const size of SIZES) {
      const lru = resultOf(results, `quick-lru maxSize ${size}`)
      rows.push(row(lru, undefined), row(resultOf(results, `flipcache localMax ${size}`), lru))
    }
    printTable(
      `l1: sequential \`await get(k)\` over ${formatCount(KEYS)} warm keys (~110-byte objects, superjson)`,
      [
        { header: 'task' },
        { header: 'ops/s', align: 'right' },
        { header: 'mean/op', align: 'right' },
        { header: '', align: 'right' },
        { header: 'vs Map', align: 'right' },
        { header: 'vs quick-lru', align: 'right' },
        { header: 'rounds', align: 'right' },
        { header: 'target' },
      ],
      rows,
      [
        'op = one awaited get; baselines are awaited too. Target: flipcache >= 50% of quick-lru of the same size.',
        ...notes,
      ],
    )
  },
}
