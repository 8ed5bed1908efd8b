import { type PeerCache, peers } from './peers/index.js'
import type { Bar } from './report/model.js'
import { type User, users } from './support/data.js'
import { formatRatio } from './support/format.js'
import { measure, ratio, resultOf, type TaskSpec } from './support/measure.js'
import { barKind, measuredCells, measuredColumns, serverCpuColumn, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'
import { clientCpuClause, ratioTarget } from './support/targets.js'

const KEYS = 100
const TTL_MS = 3_600_000
/** Issue 19's targets: writes with the default sync, and with none, against raw ioredis doing the same writes. */
const SET_TARGET = 0.85
const SILENT_TARGET = 0.95
const RAW_PUBLISH_ROW = 'raw SET PX + PUBLISH, back to back, a subscriber listening'
const RAW_UNHEARD_ROW = 'raw SET PX + PUBLISH, back to back, nobody subscribed'
const RAW_COPY_ROW = 'raw SET PX, one pipeline, JSON.stringify and a JSON.parse copy of each'

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
    // What the default sync costs at the least: the same PUBLISH per write, which Redis delivers to a
    // subscriber of this process, as it delivers flipcache's to its own.
    const channel = context.key('writes-channel')
    const listener = await context.client()
    let heard = 0
    listener.on('message', () => heard++)
    await listener.subscribe(channel)
    const notice = JSON.stringify({ o: 'bench-writer', e: 'w', k: ['user:1'], s: Date.now() })
    let copies = 0
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
        // Sent back to back rather than as an ioredis pipeline, whose own cost per call is larger
        // than the PUBLISH's: the cheapest way raw ioredis has.
        name: RAW_PUBLISH_ROW,
        ops: KEYS,
        fn: async () => {
          for (const [key, value] of json) {
            const written = redis.set(`${raw}:${key}`, value, 'PX', TTL_MS)
            await redis.publish(channel, notice)
            await written
          }
        },
      },
      {
        name: RAW_UNHEARD_ROW,
        ops: KEYS,
        fn: async () => {
          for (const [key, value] of json) {
            const written = redis.set(`${raw}:${key}`, value, 'PX', TTL_MS)
            await redis.publish(`${channel}:unheard`, notice)
            await written
          }
        },
      },
      {
        name: RAW_COPY_ROW,
        ops: KEYS,
        fn: async () => {
          const pipeline = redis.pipeline()
          const texts = entries.map(([, value]) => JSON.stringify(value))
          for (const [index, [key]] of entries.entries()) {
            pipeline.set(`${raw}:${key}`, texts[index] as string, 'PX', TTL_MS)
          }
          await pipeline.exec()
          for (const text of texts) copies += (JSON.parse(text) as User).id
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
    if (heard === 0 || copies === 0) throw new Error('writes: the raw baselines did not run')
    await listener.unsubscribe(channel)
    const rawPublish = resultOf(results, RAW_PUBLISH_ROW)
    const rawUnheard = resultOf(results, RAW_UNHEARD_ROW)
    const rawCopy = resultOf(results, RAW_COPY_ROW)
    const flipSet = resultOf(results, 'flipcache set, sequential')
    const flipMany = resultOf(results, `flipcache setMany(${KEYS})`)
    const silentSet = resultOf(results, "flipcache set, sequential, sync 'none'")
    const silentMany = resultOf(results, `flipcache setMany(${KEYS}), sync 'none'`)
    const bestPeerSet = Math.max(
      ...peerCaches.map((peer) => resultOf(results, `${peer.label}: set, sequential`).opsPerSec),
    )
    const publishCost = ratio(rawPublish, sequential)
    const copyCost = ratio(rawCopy, pipelined)

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
      columns: [{ header: 'task' }, ...measuredColumns('vs raw', 'entries/s', 'mean/entry')],
      rows,
      notes: [
        'vs raw: set against raw SET PX sequential; setMany (and batches) against the raw pipeline.',
        "flipcache's default sync 'pubsub' adds one PUBLISH per tick of writes (cmds/op 2 for sequential sets), " +
          "which Redis also delivers to the writer's own subscriber; the peers here publish nothing.",
        `${serverCpuColumn}: what the writes cost the Redis server (flipcache's include its PUBLISH and the ` +
          'delivery to subscribers); a batch sent as one pipeline costs it less per entry than as many round trips. ' +
          "flipcache's setMany runs its SETs inside one script (one command instead of one per entry): the client " +
          'saves most of its per-command work, and Redis pays the Lua call of each SET on top of the SET itself.',
        serverCpuNote,
      ],
      targets: [
        ratioTarget(
          "sequential set, default sync 'pubsub', vs raw SET PX",
          ratio(flipSet, sequential),
          SET_TARGET,
          `each set publishes its news, which Redis also delivers to this process's own subscriber (no Redis ` +
            `feature leaves the publisher out): raw ioredis doing just that (SET PX + PUBLISH back to back, a ` +
            `subscriber listening) reaches ${formatRatio(publishCost)} of raw SET PX in this run ` +
            `(${formatRatio(ratio(rawUnheard, sequential))} with nobody subscribed), and flipcache ` +
            `${formatRatio(ratio(flipSet, rawPublish))} of that; flipcache with sync 'none' reaches ` +
            `${formatRatio(ratio(silentSet, sequential))}` +
            (ratio(silentSet, sequential) < SET_TARGET ? ', so even a free notice would leave it short' : ''),
        ),
        ratioTarget(
          "sequential set, default sync 'pubsub', vs the fastest peer (which publishes nothing)",
          bestPeerSet > 0 ? flipSet.opsPerSec / bestPeerSet : Number.NaN,
          1,
          `the peers tell no other instance of a write; flipcache's PUBLISH and its echo cost it ` +
            `${formatRatio(publishCost)} of raw SET PX here (see the raw + PUBLISH row)`,
        ),
        ratioTarget(
          `setMany(${KEYS}), default sync, vs one raw pipeline of SET PX`,
          ratio(flipMany, pipelined),
          SET_TARGET,
          `a batch's own client work (encoding each value, and the decoded copy L1 keeps) is most of a pipelined ` +
            `write: raw ioredis doing just that reaches ${formatRatio(copyCost)} of the bare pipeline in this run, and ` +
            `flipcache ${formatRatio(ratio(flipMany, rawCopy))} of that`,
        ),
        ratioTarget(
          "sequential set, sync 'none', vs raw SET PX",
          ratio(silentSet, sequential),
          SILENT_TARGET,
          "flipcache's own work per call (encoding, the L1 copy, the bookkeeping that keeps reads on their way from " +
            `filling L1 with older values, the time limit and breaker of each call) on a loopback round trip: ${clientCpuClause(silentSet, sequential)}`,
        ),
        ratioTarget(
          `setMany(${KEYS}), sync 'none', vs one raw pipeline of SET PX`,
          ratio(silentMany, pipelined),
          SILENT_TARGET,
          `encoding and the L1 copy: raw ioredis doing them reaches ${formatRatio(copyCost)} of the bare pipeline, ` +
            `and flipcache ${formatRatio(ratio(silentMany, rawCopy))} of that; ${clientCpuClause(silentMany, rawCopy)}`,
        ),
      ],
      configs: [
        { row: 'raw SET PX', config: 'an ioredis client; the JSON string of each object, SET … PX 3600000' },
        {
          row: 'raw SET PX + PUBLISH',
          config:
            "each SET PX with a PUBLISH of a 60-byte message (flipcache's size), sent back to back (no pipeline: ioredis's Pipeline costs more per call than the PUBLISH), on a channel another connection of this process subscribes to; 'nobody subscribed': the same on a channel no one listens to",
        },
        {
          row: 'raw SET PX, one pipeline, JSON.stringify',
          config:
            'the same pipeline, with the work a cache must do: each value stringified, and parsed back as the copy an L1 would keep',
        },
        {
          row: 'flipcache',
          config:
            "FlipCache, expireTime 1 h, default valueType (superjson), L1 on, sync 'pubsub' (setMany: one script running SET PX for each entry, plus one PUBLISH, in one round trip)",
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
