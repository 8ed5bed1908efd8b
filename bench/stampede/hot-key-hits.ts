import type { BenchContext } from '../support/context.js'
import { formatCount, formatRatio } from '../support/format.js'
import { measure, ratio, resultOf } from '../support/measure.js'
import { measuredCells, measuredColumns, serverCpuNote } from '../support/rows.js'

const HIT_KEYS = 1000
/** getOrSet on an L1 hit may cost at most 20% over get on an L1 hit. */
const HIT_TARGET = 0.8

/** getOrSet against get, both answered from L1. */
export async function hotKeyHits(context: BenchContext): Promise<void> {
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
    context.commands,
  )
  if (sink <= 0 || cache.stats().misses > 0) throw new Error('get-or-set: the hit reads missed')
  const get = resultOf(results, 'get (L1 hit)')
  const getOrSet = resultOf(results, 'getOrSet (L1 hit)')
  const measured = ratio(getOrSet, get)
  const passed = measured >= HIT_TARGET
  context.report({
    id: 'get-or-set-hit',
    title: `getOrSet on an L1 hit: sequential reads of ${formatCount(HIT_KEYS)} warm keys`,
    intro:
      'The read-through path when the value is in L1: getOrSet against a plain get of the same warm keys ' +
      '(valueType string), both answered without Redis.',
    columns: [{ header: 'task' }, ...measuredColumns('vs get')],
    rows: [
      [get.name, ...measuredCells(get, get)],
      [getOrSet.name, ...measuredCells(getOrSet, get)],
    ],
    notes: [serverCpuNote],
    configs: [
      { row: 'get (L1 hit)', config: "FlipCache, valueType 'string', defaults otherwise; 1,000 keys in L1" },
      { row: 'getOrSet (L1 hit)', config: 'the same cache; the loader throws (it is never called)' },
    ],
    targets: [
      {
        what: 'getOrSet vs get, both L1 hits',
        measured: formatRatio(measured),
        target: `≥ ${HIT_TARGET.toFixed(2)}×`,
        pass: passed,
        ...(passed ? {} : { why: 'the read-through path costs more than 20% over get on this run' }),
      },
    ],
  })
}
