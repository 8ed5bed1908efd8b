import fc from 'fast-check'

/**
 * The model of test/integration/model.test.ts: random rounds of concurrent cache operations, and
 * what Redis may hold for each key after a round.
 */

/** An operation on one of the instances (`on`: its index). Values are derived from the op's place. */
export type Op =
  | { kind: 'get'; on: number; key: number }
  | { kind: 'getMany'; on: number; keys: number[] }
  | { kind: 'set'; on: number; key: number; ttl: number | null }
  | { kind: 'setMany'; on: number; keys: number[]; ttl: number | null }
  | { kind: 'delete'; on: number; key: number }
  | { kind: 'getOrSet'; on: number; key: number; ttl: number | null }
  | { kind: 'clear'; on: number }
  /** A set whose entry carries the tag `g<tag>`. */
  | { kind: 'setTagged'; on: number; key: number; tag: number }
  /** invalidateTags([`g<tag>`]): every entry carrying it goes. */
  | { kind: 'invalidateTag'; on: number; tag: number }
  /** getOrSet with `tags: ['g<tag>']`. */
  | { kind: 'getOrSetTagged'; on: number; key: number; tag: number }
  /** getOrSetMany of some keys, one loader call for those missing. */
  | { kind: 'getOrSetMany'; on: number; keys: number[] }

/** Operations issued together (in the same tick, awaited together), then a quiescent point. */
export interface Round {
  /** Long mode: before the ops, wait until the next expiry the model knows of has surely passed. */
  waitForExpiry: boolean
  ops: Op[]
}

export interface ScenarioShape {
  instances: number
  keys: number
  maxRounds: number
  /** Long mode: some writes get an expireTime of 1000-1500 ms, and some rounds wait for expiries. */
  expiry: boolean
}

export function scenarioArbitrary(shape: ScenarioShape): fc.Arbitrary<Round[]> {
  const on = fc.integer({ min: 0, max: shape.instances - 1 })
  const key = fc.integer({ min: 0, max: shape.keys - 1 })
  const allKeys = Array.from({ length: shape.keys }, (_, index) => index)
  const someKeys = (min: number, max: number) =>
    fc.shuffledSubarray(allKeys, { minLength: min, maxLength: max })
  const ttl: fc.Arbitrary<number | null> = shape.expiry
    ? fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.integer({ min: 1000, max: 1500 }) },
      )
    : fc.constant(null)
  const tag = fc.integer({ min: 0, max: tagCount - 1 })
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), on, key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('getMany' as const), on, keys: someKeys(2, 4) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), on, key, ttl }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('setMany' as const), on, keys: someKeys(1, 3), ttl }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), on, key }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('getOrSet' as const), on, key, ttl }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), on }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('setTagged' as const), on, key, tag }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidateTag' as const), on, tag }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('getOrSetTagged' as const), on, key, tag }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('getOrSetMany' as const), on, keys: someKeys(1, 4) }),
    },
  )
  const round: fc.Arbitrary<Round> = fc.record({
    // One round in 8 (shrinking towards not waiting).
    waitForExpiry: shape.expiry
      ? fc.integer({ min: 0, max: 7 }).map((roll) => roll === 7)
      : fc.constant(false),
    ops: fc.array(op, { minLength: 1, maxLength: 6, size: 'max' }),
  })
  return fc.array(round, { minLength: 1, maxLength: shape.maxRounds, size: 'max' })
}

/** How many tags the tagged ops choose from (`g0`, `g1`). */
export const tagCount = 2

/** The tag `tag` as the cache sees it. */
export function tagName(tag: number): string {
  return `g${tag}`
}

/** The value an op writes: unique within a scenario (`index`: the entry of a setMany). */
export function writtenValue(round: number, op: number, index?: number): string {
  return index === undefined ? `v${round}.${op}` : `v${round}.${op}.${index}`
}

/** The value a getOrSet's loader returns (`key`: for a getOrSetMany, the key's). */
export function loadedValueOf(round: number, op: number, key?: number): string {
  return key === undefined ? `L${round}.${op}` : `L${round}.${op}.${key}`
}

export function describeOp(op: Op): string {
  const ttl = 'ttl' in op && op.ttl !== null ? `, ${op.ttl} ms` : ''
  switch (op.kind) {
    case 'get':
    case 'delete':
      return `#${op.on}.${op.kind}(${op.key})`
    case 'getMany':
      return `#${op.on}.getMany([${op.keys.join(', ')}])`
    case 'set':
    case 'getOrSet':
      return `#${op.on}.${op.kind}(${op.key}${ttl})`
    case 'setMany':
      return `#${op.on}.setMany([${op.keys.join(', ')}]${ttl})`
    case 'clear':
      return `#${op.on}.clear()`
    case 'setTagged':
      return `#${op.on}.set(${op.key}, { tags: ['${tagName(op.tag)}'] })`
    case 'invalidateTag':
      return `#${op.on}.invalidateTags(['${tagName(op.tag)}'])`
    case 'getOrSetTagged':
      return `#${op.on}.getOrSet(${op.key}, { tags: ['${tagName(op.tag)}'] })`
    case 'getOrSetMany':
      return `#${op.on}.getOrSetMany([${op.keys.join(', ')}])`
  }
}

/** One line per round, its ops separated by ‖ (they run concurrently), with the values they write. */
export function describeScenario(rounds: Round[]): string {
  return rounds
    .map((round, index) => {
      const ops = round.ops.map((op, place) => {
        const written =
          op.kind === 'set' || op.kind === 'setTagged'
            ? ` = ${writtenValue(index, place)}`
            : op.kind === 'getOrSet' || op.kind === 'getOrSetTagged'
              ? ` loader → ${loadedValueOf(index, place)}`
              : op.kind === 'getOrSetMany'
                ? ` loader → ${op.keys.map((key) => loadedValueOf(index, place, key)).join(', ')}`
                : op.kind === 'setMany'
                  ? ` = ${op.keys.map((_, entry) => writtenValue(index, place, entry)).join(', ')}`
                  : ''
        return `${describeOp(op)}${written}`
      })
      return `  round ${index}${round.waitForExpiry ? ' (after the next expiry)' : ''}: ${ops.join('  ‖  ')}`
    })
    .join('\n')
}

/**
 * A state Redis may hold for a key: a value (or `undefined`: absent) and, for a value written with
 * an expireTime, the window in which it expires: not before `expiresFrom` (the write was issued at
 * least that long before), surely by `expiresBy` (the write was acknowledged that long before).
 */
export interface Candidate {
  value: string | undefined
  expiresFrom: number
  expiresBy: number
  /** The tag the value was written with (`invalidateTag` of it makes the key absent). */
  tag?: number
}

export const absent: Candidate = {
  value: undefined,
  expiresFrom: Number.POSITIVE_INFINITY,
  expiresBy: Number.POSITIVE_INFINITY,
}

/** Leeway for the clocks (ms rounding, and Redis' own clock against Date.now()). */
const clockLeewayMs = 25

/** A value written at some time in [issuedAt, ackedAt], expiring `ttl` ms after it was applied. */
export function written(
  value: string,
  ttl: number | null,
  issuedAt: number,
  ackedAt: number,
  tag?: number,
): Candidate {
  const tagged = tag === undefined ? {} : { tag }
  if (ttl === null)
    return { value, expiresFrom: Number.POSITIVE_INFINITY, expiresBy: Number.POSITIVE_INFINITY, ...tagged }
  return { value, expiresFrom: issuedAt + ttl, expiresBy: ackedAt + ttl, ...tagged }
}

/** Whether `candidate` may have expired by `at`. */
export function mayHaveExpired(candidate: Candidate, at: number): boolean {
  return at >= candidate.expiresFrom - clockLeewayMs
}

/** Whether a read of Redis made within [startedAt, endedAt] that found `seen` agrees with `candidate`. */
export function admits(candidate: Candidate, seen: string | undefined, startedAt: number, endedAt: number) {
  if (seen === undefined) return candidate.value === undefined || mayHaveExpired(candidate, endedAt)
  return candidate.value === seen && startedAt < candidate.expiresBy + clockLeewayMs
}

export function describeCandidate(candidate: Candidate): string {
  if (candidate.value === undefined) return 'absent'
  return candidate.expiresFrom === Number.POSITIVE_INFINITY
    ? JSON.stringify(candidate.value)
    : `${JSON.stringify(candidate.value)} (expiring)`
}

/**
 * The model: for each key, the one state Redis was seen to hold at the last quiescent point, and
 * what the ops of the current round did to it. After a round, a key that no op wrote, deleted or
 * cleared holds its state from before the round; one that some op did holds one of the values
 * written in the round, or is absent if some op deleted it or cleared the namespace (concurrent ops
 * land in any order).
 */
export class KeyModel {
  readonly #before: Candidate[]
  #round: Candidate[][]

  constructor(keys: number) {
    this.#before = Array.from({ length: keys }, () => absent)
    this.#round = this.#before.map(() => [])
  }

  /** Records that an op of this round wrote `candidate` (or deleted the key: `absent`). */
  touch(key: number, candidate: Candidate): void {
    this.#round[key]?.push(candidate)
  }

  /**
   * An op of this round invalidated `tag`: a key whose value before the round, or any value written
   * in the round, carries it may end up absent (the invalidation may land after that write).
   */
  invalidate(tag: number): void {
    this.#before.forEach((before, key) => {
      const round = this.#round[key] ?? []
      if (before.tag === tag || round.some((candidate) => candidate.tag === tag)) this.touch(key, absent)
    })
  }

  /** What Redis may hold for `key` once the ops of this round are done. */
  candidates(key: number): Candidate[] {
    const touched = this.#round[key] ?? []
    return touched.length > 0 ? touched : [this.before(key)]
  }

  before(key: number): Candidate {
    return this.#before[key] ?? absent
  }

  /** What a read during the round may return: the state before it, or anything the round wrote. */
  readable(key: number, seen: string | undefined, at: number): boolean {
    return [this.before(key), ...(this.#round[key] ?? [])].some((candidate) =>
      admits(candidate, seen, Number.NEGATIVE_INFINITY, at),
    )
  }

  /** The quiescent point: `key` is known to hold `state`. */
  settle(key: number, state: Candidate): void {
    this.#before[key] = state
    this.#round[key] = []
  }

  /**
   * The earliest time by which a value the model holds has surely expired, among those not surely
   * expired at `now` (`undefined`: none). Waiting for it leaves some entries expired and others not.
   */
  nextExpiry(now: number): number | undefined {
    const times = this.#before
      .map((state) => state.expiresBy)
      .filter((time) => Number.isFinite(time) && time > now)
    return times.length === 0 ? undefined : Math.min(...times)
  }
}
