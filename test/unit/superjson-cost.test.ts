import fc from 'fast-check'
import superjson from 'superjson'
import { describe, expect, it } from 'vitest'
import { superjsonCodec } from '../../src/types/structured-codecs.js'
import { checkEnvelope, parsePath } from '../../src/types/superjson-cost.js'
import { expectTypeError } from './expect-type-error.js'

/** superjson's own path writing (its escapeKey + stringifyPath), which its public API does not export. */
function stringifyPath(segments: string[]): string {
  return segments.map((segment) => segment.replace(/\\/g, '\\\\').replace(/\./g, '\\.')).join('.')
}

/** Checks an envelope given as JSON text, as a read does. */
function check(envelope: unknown): void {
  const text = JSON.stringify(envelope)
  checkEnvelope(JSON.parse(text), text.length)
}

function refusal(envelope: unknown): string {
  const started = performance.now()
  let message = ''
  try {
    check(envelope)
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    message = (error as Error).message
  }
  // Refusing costs about one pass over the metadata; generous for a loaded machine.
  expect(performance.now() - started).toBeLessThan(2000)
  expect(message).not.toBe('')
  return message
}

const values = (tree: unknown): unknown => ({ json: {}, meta: { values: tree, v: 1 } })

describe('parsePath', () => {
  it('parsePath() reads the paths superjson writes back into their segments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', '.', '\\', '0', 'é') }), { minLength: 1 }),
        (segments) => {
          expect(parsePath(stringifyPath(segments), false)).toEqual(segments)
        },
      ),
    )
  })

  it('parsePath() reads legacy paths (superjson 1, no `v`) as superjson does: a backslash escapes a dot only', () => {
    expect(parsePath('a\\.b.c', true)).toEqual(['a.b', 'c'])
    expect(parsePath('a\\b.c', true)).toEqual(['a\\b', 'c'])
    expect(parsePath('a\\\\.b', true)).toEqual(['a\\.b'])
    expect(() => parsePath('a\\b', false)).toThrow(/invalid path/)
  })
})

describe('checkEnvelope on what superjson writes', () => {
  // Leaves are made afresh for each use: only `shared` below is reached twice.
  const leaf = fc.oneof(
    fc.integer(),
    fc.string(),
    fc.constant(undefined),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0),
    fc.date({ noInvalidDate: true }),
    fc.bigInt(),
    fc.constant(null).map(() => /flip(cache)?/gi),
    fc.constant(null).map(() => new URL('https://example.com/a?b=1')),
  )
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      tie('array'),
      tie('object'),
      tie('map'),
      tie('set'),
    ),
    array: fc.array(tie('tree'), { maxLength: 4 }),
    object: fc.dictionary(fc.string({ unit: fc.constantFrom('a', 'b', '.', '\\') }), tie('tree'), {
      maxKeys: 4,
    }),
    map: fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 3 }).map((pairs) => new Map(pairs)),
    set: fc.array(tie('tree'), { maxLength: 3 }).map((items) => new Set(items)),
  }))

  it('passes every value superjson writes, and reads it back as superjson itself does, shared objects and all', () => {
    fc.assert(
      fc.property(tree, tree, (value, other) => {
        const shared = { shared: other }
        const withSharing = [value, shared, new Map([[1, shared]]), { again: shared }]
        // Never refused on write: the check passes whatever superjson writes.
        const stored = superjsonCodec.encode(withSharing) as string
        let expected: unknown
        try {
          expected = superjson.parse(superjson.stringify(withSharing))
        } catch (error) {
          // superjson cannot always read back what it wrote (shared objects inside Sets of
          // duplicates): then neither can flipcache, and the failure is superjson's, not the check's.
          expect(() => superjsonCodec.decode(stored)).toThrow((error as Error).message)
          return
        }
        expect(superjsonCodec.decode(stored)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })

  it('large values of the usual shapes pass: 20,000 Dates in a Map, 50,000 undefined, 1,000 shared objects', () => {
    const dates = new Map(Array.from({ length: 20_000 }, (_, index) => [index, new Date(index)]))
    expect(superjsonCodec.decode(superjsonCodec.encode(dates) as string)).toEqual(dates)
    const holes = Array.from({ length: 50_000 }, () => undefined)
    expect(superjsonCodec.decode(superjsonCodec.encode(holes) as string)).toEqual(holes)
    const shared = { id: 1 }
    const sharing = new Map(Array.from({ length: 1000 }, (_, index) => [index, shared]))
    const back = superjsonCodec.decode(superjsonCodec.encode(sharing) as string) as Map<number, unknown>
    expect(back.get(999)).toBe(back.get(0))
  })

  it('a value that holds itself still round-trips: superjson supports it, by design', () => {
    const loop: Record<string, unknown> = { name: 'loop' }
    loop.self = loop
    const back = superjsonCodec.decode(superjsonCodec.encode(loop) as string) as typeof loop
    expect(back.self).toBe(back)
  })

  it('encode() refuses a value whose metadata superjson could only read back in quadratic time', () => {
    // 20,000 Map entries sharing one object: superjson steps through the Map for each of them.
    const shared = { id: 1 }
    const sharing = new Map(Array.from({ length: 20_000 }, (_, index) => [index, shared]))
    expectTypeError(
      () => superjsonCodec.encode(sharing),
      'valueType `superjson` that superjson can read back in time linear in its size',
      'steps to apply',
    )
  })
})

describe('checkEnvelope on hostile metadata', () => {
  it('refuses a path longer than a value can nest (2 segments per level, 512 levels)', () => {
    const path = Array.from({ length: 20_000 }, () => 'a').join('.')
    const below = Object.fromEntries(Array.from({ length: 20_000 }, (_, index) => [index, ['undefined']]))
    expect(refusal(values({ [path]: ['map', below] }))).toBe(
      'The superjson metadata has a path of more than 1026 segments',
    )
    check(values({ [Array.from({ length: 1026 }, () => 'a').join('.')]: ['undefined'] }))
  })

  it('refuses metadata that copies long paths too often: each annotation is counted at its depth', () => {
    const path = Array.from({ length: 1000 }, () => 'a').join('.')
    const below = Object.fromEntries(Array.from({ length: 20_000 }, (_, index) => [index, ['undefined']]))
    expect(refusal(values({ [path]: ['map', below] }))).toMatch(
      /would take superjson more than \d+ steps to apply: more than its size allows/,
    )
  })

  it('refuses referential equalities that step through a large Set again and again', () => {
    const size = 100_000
    const envelope = {
      json: { s: Array.from({ length: size }, (_, index) => index), o: {} },
      meta: {
        values: { s: ['set'] },
        referentialEqualities: { o: Array.from({ length: 100 }, () => `s.${size - 1}`) },
        v: 1,
      },
    }
    expect(refusal(envelope)).toMatch(/steps to apply/)
  })

  it('counts a BigInt at the square of its digits', () => {
    check({ json: '9'.repeat(20_000), meta: { values: ['bigint'], v: 1 } })
    expect(refusal({ json: '9'.repeat(1_000_000), meta: { values: ['bigint'], v: 1 } })).toMatch(
      /steps to apply/,
    )
  })

  it('refuses a place named twice, and a path through a place already converted', () => {
    expect(refusal(values({ 'a.b': ['Date'], a: { b: ['Date'] } }))).toBe(
      'The superjson metadata converts a place twice',
    )
    expect(refusal({ json: { s: [[1]] }, meta: { values: { s: ['set'], 's.0': ['set'] }, v: 1 } })).toBe(
      'The superjson metadata names a path through a converted set',
    )
  })

  it('refuses metadata that names more places than its size allows', () => {
    const segments = Array.from({ length: 1000 }, () => 'a').join('.')
    const many = Object.fromEntries(
      Array.from({ length: 300 }, (_, index) => [`k${index}.${segments}`, ['undefined']]),
    )
    expect(refusal(values(many))).toBe('The superjson metadata names more places than its size allows')
  })

  it('refuses trees and equalities of shapes superjson never writes', () => {
    expect(refusal(values('abc'))).toMatch(/holds string where superjson writes an object of paths/)
    expect(refusal(values({ a: ['map', ['not', 'an object']] }))).toMatch(/holds an array/)
    expect(refusal({ json: {}, meta: { referentialEqualities: { a: 'b' }, v: 1 } })).toMatch(
      /not lists of paths/,
    )
    expect(refusal({ json: {}, meta: { referentialEqualities: [[1]], v: 1 } })).toMatch(/not a string/)
    expect(refusal(values({ 'a\\b': ['Date'] }))).toMatch(/invalid path/)
  })

  it('what checkEnvelope lets through, superjson applies in about the time it counts', () => {
    // Near the edge of the count for 390 KiB: a Map of 30,000 entries and 50 paths to its last one.
    const size = 30_000
    const envelope = {
      json: { m: Array.from({ length: size }, (_, index) => [index, index]), o: {} },
      meta: {
        values: { m: ['map'] },
        referentialEqualities: { o: Array.from({ length: 50 }, () => `m.${size - 1}.1`) },
        v: 1,
      },
    }
    const text = JSON.stringify(envelope)
    checkEnvelope(JSON.parse(text), text.length)
    const started = performance.now()
    superjson.deserialize(JSON.parse(text), { inPlace: true })
    // About 30 ms on a loaded 2-core machine; the bound is generous.
    expect(performance.now() - started).toBeLessThan(1000)
  })
})
