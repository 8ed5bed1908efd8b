import superjson from 'superjson'
import { describe, expect, it } from 'vitest'
import { isPlainJson } from '../../src/types/plain-json.js'
import { superjsonCodec } from '../../src/types/structured-codecs.js'
import { seededRandom, testSeed } from '../support/seeded-random.js'

/** What the codec wrote before its fast path: superjson's walk, then the plain JSON or the envelope. */
function throughSuperjson(value: unknown): string {
  const { json, meta } = superjson.serialize(value)
  const envelopeShaped =
    typeof json === 'object' &&
    json !== null &&
    !Array.isArray(json) &&
    Object.hasOwn(json, 'json') &&
    Object.keys(json).every((key) => key === 'json' || key === 'meta')
  return meta === undefined && !envelopeShaped
    ? JSON.stringify(json)
    : JSON.stringify(meta === undefined ? { json } : { json, meta })
}

function outcome(run: () => string): string {
  try {
    return run()
  } catch (error) {
    return `throws ${(error as Error).constructor.name}`
  }
}

/** A random value: mostly plain data, now and then something superjson annotates or refuses. */
function randomValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 9 : 14))
  const odd = random() < 0.08
  switch (pick) {
    case 0:
      return `s${Math.floor(random() * 100)}`
    case 1:
      return Math.floor(random() * 1000) - 500
    case 2:
      return random() * 10
    case 3:
      return random() < 0.5
    case 4:
      return null
    case 5:
      return odd ? [Number.NaN, Number.POSITIVE_INFINITY, -0][Math.floor(random() * 3)] : 0
    case 6:
      return odd ? undefined : ''
    case 7:
      return odd ? new Date(1_700_000_000_000) : '2024-01-01'
    case 8:
      return odd ? 10n : 10
    default: {
      if (random() < 0.4)
        return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1))
      const record: Record<string, unknown> = random() < 0.1 ? Object.create(null) : {}
      const fields = Math.floor(random() * 4)
      for (let field = 0; field < fields; field++) record[`k${field}`] = randomValue(random, depth + 1)
      if (odd && random() < 0.3) record.json = 1
      if (odd && random() < 0.2) return new Map(Object.entries(record))
      return record
    }
  }
}

describe('isPlainJson: the superjson codec skips the walk only where superjson would change nothing', () => {
  it('writes the very bytes superjson would, for random values', () => {
    const seed = testSeed()
    const random = seededRandom(seed)
    let fast = 0
    for (let round = 0; round < 3000; round++) {
      const value = randomValue(random)
      const plain = isPlainJson(value)
      if (plain) {
        fast++
        const { meta } = superjson.serialize(value)
        expect(meta, `seed ${seed}, round ${round}`).toBeUndefined()
      }
      expect(
        outcome(() => superjsonCodec.encode(value) as string),
        `seed ${seed}, round ${round}`,
      ).toBe(outcome(() => throughSuperjson(value)))
    }
    // The generator makes mostly plain data: the fast path was taken, and not for everything.
    expect(fast).toBeGreaterThan(1000)
    expect(fast).toBeLessThan(3000)
  })

  it('leaves to superjson what it annotates: -0, NaN, Infinity, undefined, holes, Dates, Maps, class instances', () => {
    class Point {
      x = 1
    }
    const sparse: unknown[] = [1]
    sparse[2] = 3
    for (const value of [
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      undefined,
      { a: undefined },
      [1, undefined],
      sparse,
      new Date(0),
      new Map(),
      new Set([1]),
      new Point(),
      [new Point()],
      { f: () => 1 },
      10n,
      Object.create({ inherited: 1 }),
    ]) {
      expect(isPlainJson(value)).toBe(false)
      expect(outcome(() => superjsonCodec.encode(value) as string)).toBe(
        outcome(() => throughSuperjson(value)),
      )
    }
  })

  it('leaves repeated and circular references to superjson, which records them', () => {
    const shared = { id: 1 }
    const repeated = { a: shared, b: shared }
    const circular: Record<string, unknown> = { id: 2 }
    circular.self = circular
    expect(isPlainJson(repeated)).toBe(false)
    expect(isPlainJson(circular)).toBe(false)
    const back = superjsonCodec.decode(superjsonCodec.encode(repeated)) as typeof repeated
    expect(back.a).toBe(back.b)
  })

  it("leaves to superjson the keys it refuses, and what nests past the fast path's depth", () => {
    const proto = JSON.parse('{"__proto__": 1}') as unknown
    expect(isPlainJson(proto)).toBe(false)
    expect(isPlainJson({ constructor: 1 })).toBe(false)
    expect(() => superjsonCodec.encode(proto)).toThrow(TypeError)
    let deep: unknown = 1
    for (let level = 0; level < 100; level++) deep = [deep]
    expect(isPlainJson(deep)).toBe(false)
    expect(superjsonCodec.encode(deep)).toBe(throughSuperjson(deep))
  })

  it('takes the fast path for plain data, null-prototype objects and top-level leaves', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: [1, 'x', null, true] })
    for (const value of [
      { id: 1, name: 'a', tags: ['x'], nested: { ok: true } },
      bare,
      'text',
      12,
      false,
      null,
      [],
    ]) {
      expect(isPlainJson(value)).toBe(true)
    }
  })

  it('sends everything through superjson once a custom transformer is registered', () => {
    // The registration stays for the rest of this file (vitest isolates files): this test is last.
    superjson.registerCustom<string, string>(
      {
        isApplicable: (value): value is string => value === 'secret',
        serialize: () => 'x',
        deserialize: () => 'secret',
      },
      'secret-string',
    )
    expect(isPlainJson({ a: 'secret' })).toBe(false)
    const written = superjsonCodec.encode({ a: 'secret' }) as string
    expect(written).toBe(throughSuperjson({ a: 'secret' }))
    expect(superjsonCodec.decode(written)).toEqual({ a: 'secret' })
  })
})
