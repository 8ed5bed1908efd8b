import type { FlipCache } from '../src/index.js'
import { type PeerCache, peers } from './peers/index.js'
import type { Section } from './report/model.js'
import { type User, user } from './support/data.js'
import { type Measured, measure, resultOf, type TaskSpec } from './support/measure.js'
import { barKind, measuredCells, measuredColumns, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

const KEYS = 100
/**
 * Long enough for the whole scenario: the hit table's keys are stored once and must outlive its 25
 * full rounds (60 s did not, in a full run: a key expired and was loaded again).
 */
const TTL_MS = 3_600_000
const BASELINE = 'flipcache getOrSetMany'

/** The user a key of `batchKeys` stands for: its id is the key's last part. */
function userOf(key: string): User {
  return user(Number(key.slice(key.lastIndexOf(':') + 1)))
}

/** The closest thing to a batch read-through by hand: one batch read, one loader call for the misses, one batch write. */
async function byHand(
  getMany: (keys: string[]) => Promise<(User | undefined)[]>,
  setMany: (entries: [string, User][]) => Promise<void>,
  keys: string[],
  load: (keys: string[]) => Promise<User[]>,
): Promise<User[]> {
  const found = await getMany(keys)
  const missing = keys.filter((_, index) => found[index] === undefined)
  if (missing.length === 0) return found as User[]
  const loaded = await load(missing)
  await setMany(missing.map((key, index) => [key, loaded[index] as User]))
  let next = 0
  return found.map((value) => value ?? (loaded[next++] as User))
}

interface Subject {
  name: string
  /** One batch of `keys`, each missing or each in Redis, answered in full. */
  run(keys: string[], load: (keys: string[]) => Promise<User[]>): Promise<User[]>
}

/**
 * Batch read-through of 100 keys, L1 off: all missing (the loader runs) and all in Redis.
 * flipcache's getOrSetMany against 100 concurrent getOrSet calls, flipcache's getMany + setMany by
 * hand, and each peer's closest batch (getMany + loader + setMany, none has a batch read-through)
 * and its 100 concurrent getOrSet calls.
 */
export const batchLoad: Scenario = {
  name: 'batch-load',
  summary: `getOrSetMany(${KEYS}) vs ${KEYS} concurrent getOrSet and peers' getMany + setMany, L1 off: all missing, all in Redis`,
  async run(context) {
    const redis = await context.client()
    const flip = context.cache<string, User>('batch', { redis, localMax: 0, expireTime: TTL_MS })
    const peerCaches: PeerCache[] = []
    for (const factory of peers) {
      const namespace = context.key('batch', factory.name)
      peerCaches.push(context.own(await factory.create({ redisUrl: context.url, namespace, tier: 'redis' })))
    }
    const subjects = subjectsOf(flip, peerCaches)
    let sink = 0
    const loaded = async (keys: string[]): Promise<User[]> => keys.map(userOf)
    // All missing: every run asks for keys no one has asked for (a new generation per run).
    let generation = 0
    const missing: TaskSpec[] = subjects.map((subject) => ({
      name: subject.name,
      ops: 1,
      fn: async () => {
        const prefix = `g${generation++}`
        const keys = Array.from({ length: KEYS }, (_, id) => `${prefix}:${id}`)
        sink += (await subject.run(keys, loaded)).length
      },
    }))
    // All in Redis: stored once by each subject, then read by every run; a load would be a bug.
    const stored = Array.from({ length: KEYS }, (_, id) => `hit:${id}`)
    for (const subject of subjects) await subject.run(stored, loaded)
    const never = async (): Promise<User[]> => {
      throw new Error('batch-load: a key stored for the hit table was loaded again')
    }
    const hits: TaskSpec[] = subjects.map((subject) => ({
      name: subject.name,
      ops: 1,
      fn: async () => {
        sink += (await subject.run(stored, never)).length
      },
    }))
    const missed = await measure(missing, context.timing, context.commands)
    const hit = await measure(hits, context.timing, context.commands)
    if (sink <= 0) throw new Error('batch-load: the batches returned nothing')
    const peerLabels = peerCaches.map((peer) => peer.label)
    const configs = [
      {
        row: 'flipcache …',
        config: `FlipCache, localMax 0, expireTime ${TTL_MS / 1000} s, default valueType (superjson), lock on (default)`,
      },
      ...peerCaches.map((peer) => ({ row: peer.label, config: peer.config })),
    ]
    context.report(
      table(missed, missing, peerLabels, {
        id: 'batch-load-missing',
        title: `Batch read-through of ${KEYS} missing keys, L1 off`,
        intro:
          `Each run asks for ${KEYS} keys no one has (the loader returns them at once), so every row reads, ` +
          'loads and stores them all. op = one batch of 100 keys; cmds/op = Redis commands per batch. ' +
          'flipcache takes a lock per key (one round trip), reads under them, stores, then releases them and ' +
          "notifies waiters; the peers' getMany + setMany rows take no lock.",
        configs,
      }),
    )
    context.report(
      table(hit, hits, peerLabels, {
        id: 'batch-load-hits',
        title: `Batch read-through of ${KEYS} keys all in Redis, L1 off`,
        intro: `${KEYS} keys stored by each row beforehand; no row loads. op = one batch of 100 keys.`,
        configs,
      }),
    )
  },
}

function subjectsOf(flip: FlipCache<string, User>, peerCaches: PeerCache[]): Subject[] {
  return [
    {
      name: BASELINE,
      run: (keys, load) => flip.getOrSetMany(keys, load),
    },
    {
      name: `flipcache ${KEYS} × getOrSet in flight`,
      run: (keys, load) =>
        Promise.all(keys.map((key) => flip.getOrSet(key, async () => (await load([key]))[0] as User))),
    },
    {
      name: 'flipcache getMany + loader + setMany (by hand, no lock)',
      run: (keys, load) =>
        byHand(
          (asked) => flip.getMany(asked),
          (entries) => flip.setMany(entries),
          keys,
          load,
        ),
    },
    ...peerCaches.flatMap((peer): Subject[] => [
      {
        name: `${peer.label} getMany + loader + setMany`,
        run: (keys, load) =>
          byHand(
            (asked) => peer.getMany(asked),
            (entries) => peer.setMany(entries, TTL_MS),
            keys,
            load,
          ),
      },
      {
        name: `${peer.label} ${KEYS} × getOrSet in flight`,
        run: (keys, load) =>
          Promise.all(
            keys.map((key) => peer.getOrSet(key, async () => (await load([key]))[0] as User, TTL_MS)),
          ),
      },
    ]),
  ]
}

/** A section of `tasks`' results, each row against flipcache's getOrSetMany. */
function table(
  results: Map<string, Measured>,
  tasks: TaskSpec[],
  peerLabels: readonly string[],
  head: Pick<Section, 'id' | 'title' | 'intro' | 'configs'>,
): Section {
  const base = resultOf(results, BASELINE)
  return {
    ...head,
    columns: [{ header: 'task' }, ...measuredColumns('vs getOrSetMany')],
    rows: tasks.map(({ name }) => [name, ...measuredCells(resultOf(results, name), base)]),
    notes: [serverCpuNote],
    charts: [
      {
        id: head.id,
        title: head.title,
        unit: 'batches/s',
        better: 'higher',
        bars: tasks.map(({ name }) => ({
          label: name,
          value: resultOf(results, name).opsPerSec,
          kind: barKind(name, peerLabels),
        })),
      },
    ],
  }
}
