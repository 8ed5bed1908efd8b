import type { BenchContext } from './support/context.js'
import {
  formatCount,
  formatDuration,
  formatRatio,
  formatRme,
  formatSpread,
  verdict,
} from './support/format.js'
import { measure, percentile, ratio, ratioSpread, resultOf } from './support/measure.js'
import type { Scenario } from './support/scenario.js'
import { printTable } from './support/table.js'

const CALLERS = 200
const LOADER_MS = 50
const HIT_KEYS = 1000
/** getOrSet on an L1 hit may cost at most 20% over get on an L1 hit. */
const HIT_TARGET = 0.8

/** A stampede: `CALLERS` concurrent misses of one key, spread over two instances on separate clients. */
export const getOrSet: Scenario = {
  name: 'get-or-set',
  summary: `${CALLERS} concurrent getOrSet misses over 2 instances (loader calls, latency) and getOrSet vs get on L1 hits`,
  async run(context) {
    const rounds = context.quick ? 2 : 5
    const first = context.cache<string, string>('stampede', {
      redis: await context.client(),
      valueType: 'string',
    })
    const second = context.cache<string, string>(
      'stampede',
      { redis: await context.client(), valueType: 'string' },
      first.name,
    )
    const naiveClient = await context.client()
    const rows: string[][] = []
    const stampedes: { label: string; run: (key: string, load: () => Promise<string>) => Promise<string> }[] =
      [
        {
          label: 'flipcache getOrSet, 2 instances',
          run: (key, load) => (Math.random() < 0.5 ? first : second).getOrSet(key, load),
        },
        {
          // Cache-aside by hand: GET, and on a miss every caller loads and SETs.
          label: 'naive GET, load, SET',
          run: async (key, load) => {
            const redisKey = context.key('naive', key)
            const cached = await naiveClient.get(redisKey)
            if (cached !== null) return cached
            const value = await load()
            await naiveClient.set(redisKey, value, 'PX', 60_000)
            return value
          },
        },
      ]
    for (const { label, run } of stampedes) {
      const calls: number[] = []
      const latencies: number[] = []
      const distinct: number[] = []
      for (let round = 0; round < rounds; round++) {
        const key = `hot-${round}`
        let loaderCalls = 0
        const load = async (): Promise<string> => {
          const call = ++loaderCalls
          await new Promise((resolve) => setTimeout(resolve, LOADER_MS))
          return `value-${round}-${call}`
        }
        const startedAt = performance.now()
        const results = await Promise.all(
          Array.from({ length: CALLERS }, async () => {
            const value = await run(key, load)
            latencies.push(performance.now() - startedAt)
            return value
          }),
        )
        calls.push(loaderCalls)
        distinct.push(new Set(results).size)
      }
      latencies.sort((a, b) => a - b)
      rows.push([
        label,
        String(Math.max(...calls)),
        String(Math.max(...distinct)),
        formatDuration(percentile(latencies, 0.5)),
        formatDuration(percentile(latencies, 0.99)),
      ])
    }
    printTable(
      `get-or-set: ${CALLERS} concurrent callers of one missing key, loader ${LOADER_MS} ms, ${rounds} rounds`,
      [
        { header: 'case' },
        { header: 'loader calls', align: 'right' },
        { header: 'distinct values', align: 'right' },
        { header: 'p50', align: 'right' },
        { header: 'p99', align: 'right' },
      ],
      rows,
      [
        'loader calls and distinct values: the worst round. Latency: from the first call to each caller’s answer.',
      ],
    )
    await hotKeyHits(context)
  },
}

/** getOrSet against get, both answered from L1. */
async function hotKeyHits(context: BenchContext): Promise<void> {
  const cache = context.cache<string, string>('hits', { redis: await context.client(), valueType: 'string' })
  const keys = Array.from({ length: HIT_KEYS }, (_, index) => `key:${index}`)
  await cache.setMany(keys.map((key) => [key, `value of ${key}`]))
  const loader = async (): Promise<string> => {
    throw new Error('every read here is an L1 hit')
  }
  let sink = 0
  const results = await measure(
    [
      {
        name: 'get (L1 hit)',
        ops: HIT_KEYS,
        fn: async () => {
          for (const key of keys) sink += (await cache.get(key))?.length ?? 0
        },
      },
      {
        name: 'getOrSet (L1 hit)',
        ops: HIT_KEYS,
        fn: async () => {
          for (const key of keys) sink += (await cache.getOrSet(key, loader)).length
        },
      },
    ],
    context.timing,
  )
  if (sink <= 0 || cache.stats().misses > 0) throw new Error('get-or-set: the hit reads missed')
  const get = resultOf(results, 'get (L1 hit)')
  const getOrSet = resultOf(results, 'getOrSet (L1 hit)')
  const measured = ratio(getOrSet, get)
  printTable(
    `get-or-set: sequential reads of ${formatCount(HIT_KEYS)} warm keys, all L1 hits`,
    [
      { header: 'task' },
      { header: 'ops/s', align: 'right' },
      { header: 'mean/op', align: 'right' },
      { header: '', align: 'right' },
      { header: 'vs get', align: 'right' },
      { header: 'rounds', align: 'right' },
      { header: 'target' },
    ],
    [
      [get.name, formatCount(get.opsPerSec), formatDuration(get.opMs), formatRme(get.rme), '', '', ''],
      [
        getOrSet.name,
        formatCount(getOrSet.opsPerSec),
        formatDuration(getOrSet.opMs),
        formatRme(getOrSet.rme),
        formatRatio(measured),
        formatSpread(ratioSpread(getOrSet, get)),
        verdict(measured, HIT_TARGET),
      ],
    ],
    ['Target: the read-through path costs no more than 20% over a plain get on an L1 hit.'],
  )
}
