import type { FlipCache } from '../src/index.js'
import { countCommands } from '../test/support/command-stats.js'
import { type User, users } from './support/data.js'
import { formatCount, formatServerCpu } from './support/format.js'
import { serverWork } from './support/measure.js'
import { countTraffic } from './support/round-trips.js'
import { serverCpuColumn, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

const BATCH = 100

interface Case {
  label: string
  /** Values asked for. */
  gets: number
  /** Commands and round trips the whole case should cost. */
  expected: { commands: number; roundTrips: number }
  /** Runs the gets; resolves to how many values were found. */
  run(): Promise<number>
}

const found = (values: (User | undefined)[]): number => values.filter((value) => value !== undefined).length

async function sequential(cache: FlipCache<string, User>, keys: string[]): Promise<number> {
  let hits = 0
  for (const key of keys) if ((await cache.get(key)) !== undefined) hits++
  return hits
}

/** Commands (server side, INFO stats) and round trips (client side) that flipcache's reads cost. */
export const roundtrips: Scenario = {
  name: 'roundtrips',
  summary: 'Redis commands and round trips per get: single, concurrent, L1 on and off',
  async run(context) {
    const count = context.quick ? 100 : 1000
    const observer = await context.client()
    // The server's commands and CPU, in one INFO on a connection of its own (CPU NaN on a REDIS_URL server).
    const server = context.commands
    if (server === undefined) throw new Error('roundtrips: needs a Redis server to count its commands')
    const counted = await context.client()
    const traffic = countTraffic(counted)
    const off = context.cache<string, User>('roundtrips-off', { redis: counted, localMax: 0 })
    // No heartbeat: its PUBLISH every second would land in the server's counts (a 1,000-get case
    // lasts longer than that on a slow machine) and fail the exact check below.
    const on = context.cache<string, User>('roundtrips-on', {
      redis: counted,
      localMax: 10 * count,
      maxStaleness: false,
    })

    const entries = users(count + BATCH)
    const keys = entries.map(([key]) => key)
    const head = keys.slice(0, count)
    const tail = keys.slice(count)
    // Written straight to Redis, so that no L1 holds them yet.
    await observer.mset(
      entries.flatMap(([key, value]) =>
        [off, on].flatMap((cache) => [`${cache.name}:${key}`, JSON.stringify(value)]),
      ),
    )

    const cases: Case[] = [
      {
        label: 'get, L1 off, one at a time',
        gets: count,
        expected: { commands: count, roundTrips: count },
        run: () => sequential(off, head),
      },
      {
        label: `Promise.all of ${BATCH} gets, L1 off`,
        gets: BATCH,
        expected: { commands: 1, roundTrips: 1 },
        run: async () => found(await Promise.all(tail.map((key) => off.get(key)))),
      },
      {
        label: `Promise.all of ${BATCH} gets of one key, L1 off`,
        gets: BATCH,
        expected: { commands: 1, roundTrips: 1 },
        run: async () => found(await Promise.all(tail.map(() => off.get(head[0] ?? '')))),
      },
      {
        label: `getMany of ${BATCH} keys, L1 off`,
        gets: BATCH,
        expected: { commands: 1, roundTrips: 1 },
        run: async () => found(await off.getMany(tail)),
      },
      {
        label: 'get, L1 on, L1 miss, one at a time',
        gets: count,
        expected: { commands: 2 * count, roundTrips: count },
        run: () => sequential(on, head),
      },
      {
        label: `Promise.all of ${BATCH} gets, L1 on, L1 misses`,
        gets: BATCH,
        expected: { commands: BATCH + 1, roundTrips: 1 },
        run: async () => found(await Promise.all(tail.map((key) => on.get(key)))),
      },
      {
        label: 'get, L1 on, L1 hit, one at a time',
        gets: count,
        expected: { commands: 0, roundTrips: 0 },
        run: () => sequential(on, head),
      },
    ]

    const rows: string[][] = []
    let misses = 0
    for (const item of cases) {
      traffic.reset()
      const before = await server()
      let hits = 0
      const ran = await countCommands(observer, async () => {
        hits = await item.run()
      })
      const after = await server()
      const client = traffic.read()
      if (hits !== item.gets)
        throw new Error(`roundtrips: '${item.label}' found ${hits} of ${item.gets} values`)
      // Every command the server ran meanwhile but PUBLISH: other caches still open on the server
      // send their heartbeat, and a get never publishes (the client's own count below covers that).
      let commands = 0
      for (const [name, calls] of Object.entries(ran)) if (name !== 'publish') commands += calls
      const pass = commands === item.expected.commands && client.roundTrips === item.expected.roundTrips
      if (!pass) misses++
      rows.push([
        item.label,
        formatCount(item.gets),
        formatCount(commands),
        perGet(commands, item.gets),
        formatCount(client.commands),
        formatCount(client.roundTrips),
        perGet(client.roundTrips, item.gets),
        formatServerCpu(serverWork(before, after, item.gets).serverCpuMsPerK),
        `${perGet(item.expected.commands, item.gets)} cmd, ${perGet(item.expected.roundTrips, item.gets)} RT`,
        pass ? 'PASS' : 'MISS',
      ])
    }
    context.report({
      id: 'roundtrips',
      title: 'Round trips: Redis commands and round trips per get',
      intro:
        "What flipcache's reads cost in Redis commands (counted on the server) and round trips (counted on the " +
        'client), for single and concurrent gets, L1 on and off, checked against what the design promises.',
      columns: [
        { header: 'case' },
        { header: 'gets', align: 'right' },
        { header: 'server cmds', align: 'right' },
        { header: 'cmds/get', align: 'right' },
        { header: 'client cmds', align: 'right' },
        { header: 'round trips', align: 'right' },
        { header: 'RT/get', align: 'right' },
        { header: serverCpuColumn, align: 'right' },
        { header: 'expected/get', align: 'right' },
        { header: 'result' },
      ],
      rows,
      notes: [
        'server cmds: INFO commandstats calls after - before, every command but INFO, connection handshakes and',
        "PUBLISH (other caches' heartbeats; a get never publishes); it counts every client of the server. client cmds /",
        "round trips: the cache's ioredis client's commands, and its round trips (a command sent on its own, the",
        'commands handed over in one corked write, or a pipeline exec).',
        `${serverCpuColumn}: per 1,000 gets, around the one run of each case (no rounds here; the L1-hit case ` +
          `sends nothing, so it shows the INFO and the server's background work alone).`,
        serverCpuNote,
        ...(misses > 0 && process.env.REDIS_URL !== undefined
          ? ['A MISS on server cmds alone may be other clients of the shared REDIS_URL server.']
          : []),
      ],
    })
  },
}

function perGet(total: number, gets: number): string {
  const value = total / gets
  return Number.isInteger(value) ? String(value) : value.toFixed(2)
}
