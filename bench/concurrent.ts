import { type User, users } from './support/data.js'
import { formatCount, formatDuration, formatRatio, formatRme } from './support/format.js'
import { measure, ratio, resultOf, type TaskSpec } from './support/measure.js'
import type { Scenario } from './support/scenario.js'
import { printTable } from './support/table.js'

const KEYS = 100
const AUTO = 'ioredis GET, auto-pipelining'
const PLAIN = 'ioredis GET, no auto-pipelining'

/** The Redis-hit path with L1 off: 100 concurrent gets against raw ioredis with and without auto-pipelining. */
export const concurrent: Scenario = {
  name: 'concurrent',
  summary: `Promise.all of ${KEYS} gets with L1 off vs raw ioredis GETs with and without auto-pipelining`,
  async run(context) {
    const entries = users(KEYS)
    const keys = entries.map(([key]) => key)
    const redis = await context.client()
    const autoPipelined = await context.client({ enableAutoPipelining: true })

    const strings = context.cache<string, string>('concurrent-string', {
      redis,
      localMax: 0,
      valueType: 'string',
    })
    await strings.setMany(entries.map(([key, value]): [string, string] => [key, JSON.stringify(value)]))
    // The same namespace read through a client that auto-pipelines: flipcache pipelines each tick
    // itself, so this row shows whether ioredis's own auto-pipelining helps or costs on top.
    const stringsOnAuto = context.cache<string, string>(
      'concurrent-string',
      { redis: autoPipelined, localMax: 0, valueType: 'string' },
      strings.name,
    )
    const objects = context.cache<string, User>('concurrent-superjson', { redis, localMax: 0 })
    await objects.setMany(entries)
    const rawKeys = keys.map((key) => `${strings.name}:${key}`)

    let sink = 0
    const tasks: TaskSpec[] = [
      {
        name: AUTO,
        ops: KEYS,
        fn: async () => {
          sink += (await Promise.all(rawKeys.map((key) => autoPipelined.get(key)))).length
        },
      },
      {
        name: PLAIN,
        ops: KEYS,
        fn: async () => {
          sink += (await Promise.all(rawKeys.map((key) => redis.get(key)))).length
        },
      },
      {
        name: "flipcache get, valueType 'string'",
        ops: KEYS,
        fn: async () => {
          sink += (await Promise.all(keys.map((key) => strings.get(key)))).length
        },
      },
      {
        name: "flipcache get, 'string', auto-pipelined client",
        ops: KEYS,
        fn: async () => {
          sink += (await Promise.all(keys.map((key) => stringsOnAuto.get(key)))).length
        },
      },
      {
        name: 'flipcache get, superjson',
        ops: KEYS,
        fn: async () => {
          sink += (await Promise.all(keys.map((key) => objects.get(key)))).length
        },
      },
    ]
    const results = await measure(tasks, context.timing)
    const [first] = await Promise.all([strings.get('user:1'), objects.get('user:1')])
    if (first !== (await autoPipelined.get(rawKeys[1] ?? '')) || sink <= 0) {
      throw new Error('concurrent: flipcache and ioredis read different values')
    }

    const auto = resultOf(results, AUTO)
    const plain = resultOf(results, PLAIN)
    const rows = tasks.map(({ name }) => {
      const result = resultOf(results, name)
      return [
        name,
        formatCount(result.opsPerSec),
        formatDuration(result.iterationMs),
        formatRme(result.rme),
        formatRatio(ratio(result, auto)),
        formatRatio(ratio(result, plain)),
      ]
    })
    printTable(
      `concurrent: Promise.all of ${KEYS} gets of distinct keys, Redis hits, L1 off (localMax 0)`,
      [
        { header: 'task' },
        { header: 'gets/s', align: 'right' },
        { header: `mean/${KEYS} gets`, align: 'right' },
        { header: '', align: 'right' },
        { header: 'vs auto-pipelined', align: 'right' },
        { header: 'vs plain', align: 'right' },
      ],
      rows,
      [
        `op = one get. flipcache merges a tick's gets into one MGET; ioredis auto-pipelining sends ${KEYS} GETs in one write.`,
        'The superjson row also pays JSON.parse per value, which the raw rows do not.',
      ],
    )
  },
}
