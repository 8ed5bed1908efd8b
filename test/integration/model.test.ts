import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import type { FlipCache, FlipCacheOptions } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import {
  absent,
  admits,
  type Candidate,
  describeCandidate,
  describeOp,
  describeScenario,
  KeyModel,
  loadedValueOf,
  mayHaveExpired,
  type Op,
  type Round,
  scenarioArbitrary,
  tagName,
  written,
  writtenValue,
} from '../support/cache-model.js'

// A seeded model-based test: three instances of one namespace, each on its own client, run random
// rounds of concurrent operations; at each quiescent point Redis must hold a value the model allows
// (no acknowledged write is lost), and every instance must come to read exactly that value (no stale
// L1 copy survives: localTtl is 60 s, so only invalidation can drop one).
//
// Default: 25 runs of 1-18 rounds of 1-6 ops per combination, no expiry (~1-2 s per combination).
// FLIPCACHE_MODEL_SEED=<n> replays a seed (FLIPCACHE_MODEL_PATH=<path> goes straight to a shrunk
// counterexample; a race may need a few tries). FLIPCACHE_MODEL_RUNS=<n> (FLIPCACHE_MODEL_LONG=1:
// 100) is the long mode: n runs of up to 40 rounds, some writes with an expireTime of 1-1.5 s, and
// one round in 8 first waits until the next expiry has passed (~2 min per combination for 100 runs).

const instanceCount = 3
const keyCount = 6
const allKeys = Array.from({ length: keyCount }, (_, key) => key)

const env = process.env
const longRuns =
  env.FLIPCACHE_MODEL_RUNS !== undefined
    ? wholeNumber('FLIPCACHE_MODEL_RUNS', env.FLIPCACHE_MODEL_RUNS, 1)
    : env.FLIPCACHE_MODEL_LONG === '1'
      ? 100
      : undefined
const long = longRuns !== undefined
const numRuns = longRuns ?? 25
const seed =
  env.FLIPCACHE_MODEL_SEED !== undefined
    ? wholeNumber('FLIPCACHE_MODEL_SEED', env.FLIPCACHE_MODEL_SEED, -(2 ** 31))
    : Math.floor(Math.random() * 2 ** 31)
const replayPath = env.FLIPCACHE_MODEL_PATH
const shape = { instances: instanceCount, keys: keyCount, maxRounds: long ? 40 : 18, expiry: long }
/** Shrinking stops (the smallest failure so far is reported) this long after the first failure. */
const shrinkBudgetMs = long ? 120_000 : 40_000
const testTimeoutMs = long ? 180_000 + numRuns * 15_000 : 100_000
/** How long every instance gets to read what Redis holds; a correct cache needs milliseconds. */
const convergeMs = 3_000

function wholeNumber(name: string, text: string, least: number): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < least) {
    throw new Error(`${name} must be a whole number of at least ${least}, got '${text}'`)
  }
  return value
}

interface Combination {
  label: string
  storage: Pick<FlipCacheOptions<number, string>, 'storage'>
  sync: 'pubsub' | 'tracking'
}

const combinations: Combination[] = (['string', 'hash'] as const).flatMap((storage) =>
  (['pubsub', 'tracking'] as const).map((sync) => ({
    label: `storage ${storage}, sync ${sync}`,
    storage:
      storage === 'string'
        ? { storage: 'string' as const }
        : { storage: { kind: 'hash' as const, bucketSize: 4 } },
    sync,
  })),
)

interface World {
  instances: FlipCache<number, string>[]
  /** L1 off, no sync: reads Redis as it is. */
  reader: FlipCache<number, string>
  close(): Promise<void>
}

/** A check that failed at the quiescent point after round `round` (the rounds after it never ran). */
class RoundFailure extends Error {
  constructor(
    readonly round: number,
    message: string,
  ) {
    super(`round ${round}: ${message}`)
  }
}

type Read = { op: Op; key: number; seen: string | undefined; at: number }

const show = (value: string | undefined): string => (value === undefined ? 'absent' : JSON.stringify(value))

describe('model: three instances race random rounds of operations; Redis and every L1 agree after each', () => {
  const { cache, client } = useCaches()

  async function open(combination: Combination): Promise<World> {
    const name = uniqueName('model')
    const common: FlipCacheOptions<number, string> = {
      keyType: 'int',
      valueType: 'string',
      expireTime: null,
      // Robust on a loaded machine: no operation of this test should fail for being slow.
      timeout: '10s',
      ...combination.storage,
    }
    const clients = Array.from({ length: instanceCount }, () => client())
    const instances = clients.map((redis) =>
      cache<number, string>(
        { ...common, redis, localMax: 1000, localTtl: '60s', sync: combination.sync },
        name,
      ),
    )
    const readerClient = client()
    clients.push(readerClient)
    const reader = cache<number, string>({ ...common, redis: readerClient, localMax: 0, sync: 'none' }, name)
    const everyone = [...instances, reader]
    await Promise.all(everyone.map((each) => each.ready()))
    return {
      instances,
      reader,
      async close() {
        await Promise.all(everyone.map((each) => each.close()))
        for (const each of clients) each.disconnect()
      },
    }
  }

  /**
   * Lets the commands an instance sends without being awaited (the HDEL of an expired hash field
   * found by a read) reach Redis: a later command of the same instance travels after them.
   */
  async function drain(world: World): Promise<void> {
    await Promise.all([...world.instances, world.reader].map((each) => each.ttl(0)))
  }

  async function playRound(world: World, model: KeyModel, round: Round, index: number): Promise<void> {
    if (round.waitForExpiry) {
      const until = model.nextExpiry(Date.now())
      if (until !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, until + 50 - Date.now())))
      }
    }
    const reads: Read[] = []
    const play = async (op: Op, place: number): Promise<void> => {
      const cache = world.instances[op.on] as FlipCache<number, string>
      const issuedAt = Date.now()
      switch (op.kind) {
        case 'get': {
          const seen = await cache.get(op.key)
          reads.push({ op, key: op.key, seen, at: Date.now() })
          return
        }
        case 'getMany': {
          const seen = await cache.getMany(op.keys)
          const at = Date.now()
          op.keys.forEach((key, position) => {
            reads.push({ op, key, seen: seen[position], at })
          })
          return
        }
        case 'set': {
          const value = writtenValue(index, place)
          await cache.set(op.key, value, op.ttl === null ? undefined : { expireTime: op.ttl })
          model.touch(op.key, written(value, op.ttl, issuedAt, Date.now()))
          return
        }
        case 'setMany': {
          const entries = op.keys.map((key, entry) => [key, writtenValue(index, place, entry)] as const)
          await cache.setMany(entries, op.ttl === null ? undefined : { expireTime: op.ttl })
          const ackedAt = Date.now()
          for (const [key, value] of entries) model.touch(key, written(value, op.ttl, issuedAt, ackedAt))
          return
        }
        case 'delete':
          await cache.delete(op.key)
          model.touch(op.key, absent)
          return
        case 'getOrSet': {
          // The loaded value is a candidate only if this loader ran (it may join another's load).
          const value = loadedValueOf(index, place)
          let loadedAt: number | undefined
          const loader = (): string => {
            loadedAt = Date.now()
            return value
          }
          const seen = await cache.getOrSet(
            op.key,
            loader,
            op.ttl === null ? undefined : { expireTime: op.ttl },
          )
          if (loadedAt !== undefined) model.touch(op.key, written(value, op.ttl, loadedAt, Date.now()))
          reads.push({ op, key: op.key, seen, at: Date.now() })
          return
        }
        case 'clear':
          await cache.clear()
          for (const key of allKeys) model.touch(key, absent)
          return
        case 'setTagged': {
          const value = writtenValue(index, place)
          await cache.set(op.key, value, { tags: [tagName(op.tag)] })
          model.touch(op.key, written(value, null, issuedAt, Date.now(), op.tag))
          return
        }
        case 'getOrSetTagged': {
          const value = loadedValueOf(index, place)
          let loadedAt: number | undefined
          const seen = await cache.getOrSet(
            op.key,
            () => {
              loadedAt = Date.now()
              return value
            },
            { tags: [tagName(op.tag)] },
          )
          if (loadedAt !== undefined) model.touch(op.key, written(value, null, loadedAt, Date.now(), op.tag))
          reads.push({ op, key: op.key, seen, at: Date.now() })
          return
        }
        case 'getOrSetMany': {
          // Each key's loaded value is a candidate only if this loader was asked for it.
          const loadedAt = new Map<number, number>()
          const seen = await cache.getOrSetMany(op.keys, (keys) => {
            const now = Date.now()
            return keys.map((key) => {
              loadedAt.set(key, now)
              return loadedValueOf(index, place, key)
            })
          })
          const at = Date.now()
          op.keys.forEach((key, position) => {
            const started = loadedAt.get(key)
            if (started !== undefined)
              model.touch(key, written(loadedValueOf(index, place, key), null, started, at))
            reads.push({ op, key, seen: seen[position], at })
          })
          return
        }
        case 'invalidateTag':
          await cache.invalidateTags([tagName(op.tag)])
          invalidated.push(op.tag)
          return
      }
    }
    const invalidated: number[] = []
    // Every op is issued in the same tick: they race inside flipcache and in Redis.
    await Promise.all(round.ops.map(play))
    // Once the round's writes are recorded: an invalidation may have landed before or after each.
    for (const tag of invalidated) model.invalidate(tag)
    // A read returns what Redis held before the round or what the round wrote, nothing older.
    for (const read of reads) {
      if (!model.readable(read.key, read.seen, read.at)) {
        throw new RoundFailure(
          index,
          `${describeOp(read.op)} read ${show(read.seen)} for key ${read.key}, but Redis held ` +
            `${describeCandidate(model.before(read.key))} before the round and the round wrote only ` +
            `${model.candidates(read.key).map(describeCandidate).join(', ')}`,
        )
      }
    }
  }

  /** The quiescent point after round `index`: checks Redis against the model, then every L1 against Redis. */
  async function quiesce(world: World, model: KeyModel, index: number): Promise<void> {
    await drain(world)
    const startedAt = Date.now()
    const held = await world.reader.getMany(allKeys)
    const endedAt = Date.now()
    await drain(world)
    for (const key of allKeys) {
      const seen = held[key]
      const candidates = model.candidates(key)
      const match = candidates.find((candidate) => admits(candidate, seen, startedAt, endedAt))
      if (match === undefined) {
        const why =
          seen === undefined
            ? 'an acknowledged write was lost'
            : candidates.some((candidate) => candidate.value === seen)
              ? 'a value read past its expiry'
              : 'an older value: an acknowledged write or delete was lost'
        throw new RoundFailure(
          index,
          `Redis holds ${show(seen)} for key ${key}, but after this round it may hold only ` +
            `${candidates.map(describeCandidate).join(' or ')}: ${why}`,
        )
      }
      model.settle(key, seen === undefined ? absent : match)
    }
    try {
      await vi.waitFor(
        async () => {
          const seen = await Promise.all(
            world.instances.map((instance) => Promise.all(allKeys.map((key) => instance.get(key)))),
          )
          const now = Date.now()
          const stale: string[] = []
          seen.forEach((values, on) => {
            values.forEach((value, key) => {
              const state: Candidate = model.before(key)
              if (value === state.value || (value === undefined && mayHaveExpired(state, now))) return
              stale.push(`#${on}.get(${key}) = ${show(value)} while Redis holds ${show(state.value)}`)
            })
          })
          if (stale.length > 0) throw new Error(stale.join('; '))
        },
        { timeout: convergeMs, interval: 20 },
      )
    } catch (error) {
      throw new RoundFailure(
        index,
        `an instance still serves a stale L1 copy ${convergeMs} ms after the round: ` +
          (error as Error).message,
      )
    }
    await drain(world)
  }

  async function playScenario(combination: Combination, rounds: Round[]): Promise<number> {
    const world = await open(combination)
    try {
      const model = new KeyModel(keyCount)
      for (const [index, round] of rounds.entries()) {
        await playRound(world, model, round, index)
        await quiesce(world, model, index)
      }
      return rounds.length
    } finally {
      await world.close()
    }
  }

  for (const combination of combinations) {
    it(
      combination.label,
      async () => {
        let firstFailureAt: number | undefined
        let checkedRounds = 0
        const property = fc.asyncProperty(scenarioArbitrary(shape), async (rounds) => {
          // Out of shrinking time: this candidate counts as passing, so the smallest failure so far is reported.
          if (firstFailureAt !== undefined && Date.now() - firstFailureAt > shrinkBudgetMs) return
          try {
            checkedRounds += await playScenario(combination, rounds)
          } catch (error) {
            firstFailureAt ??= Date.now()
            throw error
          }
        })
        const details = await fc.check(property, {
          seed,
          numRuns,
          ...(replayPath === undefined ? {} : { path: replayPath }),
        })
        expect(details.failed, details.failed ? report(combination, details) : '').toBe(false)
        expect(checkedRounds).toBeGreaterThan(0)
      },
      testTimeoutMs,
    )
  }
})

function report(combination: Combination, details: fc.RunDetails<[Round[]]>): string {
  const replay = [
    `FLIPCACHE_MODEL_SEED=${details.seed}`,
    ...(details.counterexamplePath === null ? [] : [`FLIPCACHE_MODEL_PATH=${details.counterexamplePath}`]),
    ...(env.FLIPCACHE_MODEL_RUNS === undefined ? [] : [`FLIPCACHE_MODEL_RUNS=${env.FLIPCACHE_MODEL_RUNS}`]),
    ...(env.FLIPCACHE_MODEL_LONG === undefined ? [] : [`FLIPCACHE_MODEL_LONG=${env.FLIPCACHE_MODEL_LONG}`]),
    `npx vitest run test/integration/model.test.ts -t '${combination.label}'`,
  ].join(' ')
  const failure = details.errorInstance
  const rounds = details.counterexample?.[0]
  // The rounds after the failing one never ran: they are left out.
  const ran = failure instanceof RoundFailure ? rounds?.slice(0, failure.round + 1) : rounds
  const scenario = ran === undefined ? '  (none)' : describeScenario(ran)
  return [
    `[${combination.label}] failed on run ${details.numRuns} of ${numRuns}, shrunk ${details.numShrinks} times; seed ${details.seed}, path ${details.counterexamplePath}.`,
    `Replay: ${replay}`,
    'Counterexample (ops of a round are issued concurrently, ‖):',
    scenario,
    `Failure: ${failure instanceof Error ? failure.message : String(failure)}`,
  ].join('\n')
}
