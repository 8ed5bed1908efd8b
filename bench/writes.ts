import { type PeerCache, peers } from './peers/index.js'
import type { Bar } from './report/model.js'
import { type User, users } from './support/data.js'
import { measure, resultOf, type TaskSpec } from './support/measure.js'
import { barKind, measuredCells, serverCpuColumn, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

const KEYS = 100
const TTL_MS = 3_600_000

/** Writes: sequential set() and setMany() of 100, against raw SET PX (sequential and pipelined) and the peers. */
export const writes: Scenario = {
  name: 'writes',
  summary: `sequential set and setMany(${KEYS}) with a TTL vs raw SET PX (sequential, pipelined) and peers`,
  async run(context) {
    const entries = users(KEYS)
    const json = entries.map(([key, value]): [string, string] => [key, JSON.stringify(value)])
    const redis = await context.client()
    const raw = context.key('writes-raw')
    const cache = context.cache<string, User>('writes', { redis, expireTime: TTL_MS })
    // The peers, as configured, tell no other instance of a write: this one neither, for a like-for-like row.
    const silent = context.cache<string, User>('writes-silent', { redis, expireTime: TTL_MS, sync: 'none' })
    const peerCaches: PeerCache[] = []
    for (const factory of peers) {
      peerCaches.push(
        context.own(
          await factory.create({
            redisUrl: context.url,
            namespace: context.key('writes', factory.name),
            tier: 'memory+redis',
          }),
        ),
      )
    }
    const tasks: TaskSpec[] = [
      {
        name: 'raw SET PX, sequential',
        ops: KEYS,
        fn: async () => {
          for (const [key, value] of json) await redis.set(`${raw}:${key}`, value, 'PX', TTL_MS)
        },
      },
      {
        name: 'raw SET PX, one pipeline',
        ops: KEYS,
        fn: async () => {
          const pipeline = redis.pipeline()
          for (const [key, value] of json) pipeline.set(`${raw}:${key}`, value, 'PX', TTL_MS)
          await pipeline.exec()
        },
      },
      {
        name: 'flipcache set, sequential',
        ops: KEYS,
        fn: async () => {
          for (const [key, value] of entries) await cache.set(key, value)
        },
      },
      { name: `flipcache setMany(${KEYS})`, ops: KEYS, fn: () => cache.setMany(entries) },
      {
        name: "flipcache set, sequential, sync 'none'",
        ops: KEYS,
        fn: async () => {
          for (const [key, value] of entries) await silent.set(key, value)
        },
      },
      { name: `flipcache setMany(${KEYS}), sync 'none'`, ops: KEYS, fn: () => silent.setMany(entries) },
      ...peerCaches.flatMap((peer): TaskSpec[] => [
        {
          name: `${peer.label}: set, sequential`,
          ops: KEYS,
          fn: async () => {
            for (const [key, value] of entries) await peer.set(key, value, TTL_MS)
          },
        },
        { name: `${peer.label}: setMany(${KEYS})`, ops: KEYS, fn: () => peer.setMany(entries, TTL_MS) },
      ]),
    ]
    const results = await measure(tasks, context.timing, context.commands)
    const sequential = resultOf(results, 'raw SET PX, sequential')
    const pipelined = resultOf(results, 'raw SET PX, one pipeline')
    const back = await cache.get('user:3')
    if (back?.email !== 'user.3@example.com') throw new Error(`writes: read back ${JSON.stringify(back)}`)

    const peerLabels = peerCaches.map((peer) => peer.label)
    const rows = tasks.map(({ name }) => {
      const baseline = name.includes('setMany') || name.includes('pipeline') ? pipelined : sequential
      return [name, ...measuredCells(resultOf(results, name), baseline)]
    })
    const bars: Bar[] = tasks.map(({ name }) => ({
      label: name,
      value: resultOf(results, name).opsPerSec,
      kind: barKind(name, peerLabels),
    }))
    context.report({
      id: 'writes',
      title: `Writes: ${KEYS} entries with a 1-hour TTL, one at a time and as one batch`,
      intro:
        `Each row writes the same ${KEYS} objects of ~110 bytes with a TTL: sequential awaited set() calls, and ` +
        'one batch write. op = one entry written; cmds/op = Redis commands per entry, counted on the server ' +
        "(flipcache's include the sync PUBLISH of each tick). Single calls compare with sequential raw SET PX, " +
        'batches with one raw pipeline of SET PX.',
      columns: [
        { header: 'task' },
        { header: 'entries/s', align: 'right' },
        { header: 'mean/entry', align: 'right' },
        { header: '', align: 'right' },
        { header: 'cmds/op', align: 'right' },
        { header: serverCpuColumn, align: 'right' },
        { header: 'vs raw', align: 'right' },
        { header: 'rounds', align: 'right' },
      ],
      rows,
      notes: [
        'vs raw: set against raw SET PX sequential; setMany (and batches) against the raw pipeline.',
        "flipcache's default sync 'pubsub' adds one PUBLISH per tick of writes (cmds/op 2 for sequential sets), " +
          "which Redis also delivers to the writer's own subscriber; the peers here publish nothing.",
        `${serverCpuColumn}: what the writes cost the Redis server (flipcache's include its PUBLISH and the ` +
          'delivery to subscribers); a batch sent as one pipeline costs it less per entry than as many round trips.',
        serverCpuNote,
      ],
      configs: [
        { row: 'raw SET PX', config: 'an ioredis client; the JSON string of each object, SET … PX 3600000' },
        {
          row: 'flipcache',
          config:
            "FlipCache, expireTime 1 h, default valueType (superjson), L1 on, sync 'pubsub' (setMany: one pipeline of SET PX plus one PUBLISH)",
        },
        ...peerCaches.map((peer) => ({ row: peer.label, config: peer.config })),
      ],
      charts: [
        {
          id: 'writes',
          title: 'Writes: entries per second',
          unit: 'ops/s',
          bars,
          log: true,
          better: 'higher',
        },
      ],
    })
  },
}
