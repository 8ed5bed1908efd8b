import type { Redis } from 'ioredis'
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
import { measure, ratio, ratioSpread, resultOf, type TaskSpec } from './support/measure.js'
import type { Scenario } from './support/scenario.js'
import { printTable } from './support/table.js'

const KEYS = 100
const TARGET = 0.9

/** `getMany` of 100 keys with L1 off against one raw MGET of the same keys. */
export const getmany: Scenario = {
  name: 'getmany',
  summary: `getMany(${KEYS} keys) with L1 off vs a raw MGET (+ JSON.parse) of the same keys`,
  async run(context) {
    const entries = users(KEYS)
    const keys = entries.map(([key]) => key)
    const redis = await context.client()

    const strings = context.cache<string, string>('getmany-string', {
      redis,
      localMax: 0,
      valueType: 'string',
    })
    await strings.setMany(entries.map(([key, value]): [string, string] => [key, JSON.stringify(value)]))
    const objects = context.cache<string, User>('getmany-superjson', { redis, localMax: 0 })
    await objects.setMany(entries)

    const rawKeys = (cache: { name: string }): string[] => keys.map((key) => `${cache.name}:${key}`)
    const stringKeys = rawKeys(strings)
    const objectKeys = rawKeys(objects)
    let sink = 0
    const tasks: TaskSpec[] = [
      {
        name: 'raw MGET',
        ops: 1,
        fn: async () => {
          sink += (await redis.mget(stringKeys)).length
        },
      },
      {
        name: "getMany, valueType 'string'",
        ops: 1,
        fn: async () => {
          sink += (await strings.getMany(keys)).length
        },
      },
      {
        name: 'raw MGET + JSON.parse',
        ops: 1,
        fn: async () => {
          const values = (await redis.mget(objectKeys)).map((raw): User | undefined =>
            raw === null ? undefined : JSON.parse(raw),
          )
          sink += values.length
        },
      },
      {
        name: 'getMany, superjson',
        ops: 1,
        fn: async () => {
          sink += (await objects.getMany(keys)).length
        },
      },
    ]
    const results = await measure(tasks, context.timing)
    await check(redis, strings, objects, keys, stringKeys)
    if (sink <= 0) throw new Error('getmany: the reads returned nothing')

    const cases = [
      { label: "getMany, valueType 'string'", baseline: 'raw MGET', target: TARGET },
      { label: 'getMany, superjson', baseline: 'raw MGET + JSON.parse', target: undefined },
    ]
    const rows: string[][] = []
    for (const { label, baseline, target } of cases) {
      const base = resultOf(results, baseline)
      const result = resultOf(results, label)
      const measuredRatio = ratio(result, base)
      for (const measured of [base, result]) {
        rows.push([
          measured.name,
          formatCount(measured.opsPerSec),
          formatCount(measured.opsPerSec * KEYS),
          formatDuration(measured.iterationMs),
          formatRme(measured.rme),
          measured === base ? '' : formatRatio(measuredRatio),
          measured === base ? '' : formatSpread(ratioSpread(result, base)),
          measured === base || target === undefined ? '' : verdict(measuredRatio, target),
        ])
      }
    }
    printTable(
      `getmany: ${KEYS} keys per call, L1 off (localMax 0), ~110-byte JSON values`,
      [
        { header: 'task' },
        { header: 'calls/s', align: 'right' },
        { header: 'keys/s', align: 'right' },
        { header: 'mean/call', align: 'right' },
        { header: '', align: 'right' },
        { header: 'vs raw', align: 'right' },
        { header: 'rounds', align: 'right' },
        { header: 'target' },
      ],
      rows,
      [`op = one call reading ${KEYS} keys. Target: 'string' getMany >= 90% of raw MGET.`],
    )
  },
}

/** The caches read back what raw MGET reads. */
async function check(
  redis: Redis,
  strings: FlipCache<string, string>,
  objects: FlipCache<string, User>,
  keys: string[],
  stringKeys: string[],
): Promise<void> {
  const [raw, viaStrings, viaObjects] = await Promise.all([
    redis.mget(stringKeys),
    strings.getMany(keys),
    objects.getMany(keys),
  ])
  const rawParsed = JSON.stringify(raw.map((value) => (value === null ? null : JSON.parse(value))))
  if (JSON.stringify(viaStrings) !== JSON.stringify(raw) || JSON.stringify(viaObjects) !== rawParsed) {
    throw new Error('getmany: getMany did not return what MGET returns')
  }
}
