import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { jsonNestsDeeper, maxNestingDepth, valueNestsDeeper } from '../../src/types/nesting.js'
import { jsonCodec, superjsonCodec } from '../../src/types/structured-codecs.js'
import { cyclicMsgpack, nestedArray, nestedJson } from '../support/hostile-data.js'
import { expectTypeError } from './expect-type-error.js'

/** MessagePack arrays nested `depth` deep: `depth - 1` one-item arrays around an empty one. */
function nestedMsgpack(depth: number): Buffer {
  return Buffer.concat([Buffer.alloc(depth - 1, 0x91), Buffer.from([0x90])])
}

describe('jsonNestsDeeper', () => {
  it('jsonNestsDeeper() counts arrays and objects, up to the limit and past it', () => {
    expect(maxNestingDepth).toBe(512)
    expect(jsonNestsDeeper(nestedJson(512))).toBe(false)
    expect(jsonNestsDeeper(nestedJson(513))).toBe(true)
    const objects = `${'{"a":'.repeat(513)}1${'}'.repeat(513)}`
    expect(jsonNestsDeeper(objects)).toBe(true)
    expect(jsonNestsDeeper(`${'{"a":['.repeat(256)}${']}'.repeat(256)}`)).toBe(false)
    expect(jsonNestsDeeper(`${'{"a":['.repeat(257)}${']}'.repeat(257)}`)).toBe(true)
  })

  it('jsonNestsDeeper() ignores brackets inside strings, escaped quotes included', () => {
    const inString = JSON.stringify(['['.repeat(2000)])
    expect(jsonNestsDeeper(inString)).toBe(false)
    const escaped = JSON.stringify([`\\"${'['.repeat(2000)}\\`, '"[[[', '\\\\'])
    expect(JSON.parse(escaped)).toHaveLength(3)
    expect(jsonNestsDeeper(escaped)).toBe(false)
    // A quote after an even run of backslashes ends the string: the brackets after it count.
    const deepAfter = `["\\\\",${nestedJson(600)}]`
    expect(jsonNestsDeeper(deepAfter)).toBe(true)
  })

  it('jsonNestsDeeper() does not scan text too short to nest past the limit', () => {
    expect(jsonNestsDeeper('['.repeat(1024))).toBe(false)
    expect(jsonNestsDeeper('['.repeat(1025))).toBe(true)
  })

  it('jsonNestsDeeper() stays linear on an unterminated string and on long runs of backslashes', () => {
    const started = performance.now()
    expect(jsonNestsDeeper(`["${'\\'.repeat(2_000_000)}`)).toBe(false)
    expect(jsonNestsDeeper(`[${'"\\"'.repeat(500_000)}`)).toBe(false)
    // Linear time is a few ms; a generous bound for a loaded machine.
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('valueNestsDeeper', () => {
  it('valueNestsDeeper() walks arrays, objects, Maps, Sets and Errors without recursion', () => {
    expect(valueNestsDeeper(nestedArray(512), 512, Number.POSITIVE_INFINITY)).toBe(false)
    expect(valueNestsDeeper(nestedArray(513), 512, Number.POSITIVE_INFINITY)).toBe(true)
    expect(valueNestsDeeper(nestedArray(1_000_000), 512, Number.POSITIVE_INFINITY)).toBe(true)
    let mixed: unknown = 'leaf'
    for (let level = 0; level < 130; level++) {
      mixed = [new Map([[{ inner: new Set([mixed]) }, 1]])]
    }
    // Each level is an array, a Map, an object and a Set.
    expect(valueNestsDeeper(mixed, 520, Number.POSITIVE_INFINITY)).toBe(false)
    expect(valueNestsDeeper(mixed, 519, Number.POSITIVE_INFINITY)).toBe(true)
    let chain: unknown = 'root cause'
    for (let level = 0; level < 600; level++) chain = new Error('wrapped', { cause: chain })
    expect(valueNestsDeeper(chain, 512, Number.POSITIVE_INFINITY)).toBe(true)
  })

  it('valueNestsDeeper() treats Dates, RegExps and binary data as leaves, and walks class instances as msgpackr writes them', () => {
    const leaves = [new Date(0), /x/, Buffer.alloc(4), new Uint8Array(2), new ArrayBuffer(2)]
    expect(valueNestsDeeper(leaves, 1, Number.POSITIVE_INFINITY)).toBe(false)
    class Point {
      readonly next = [[[]]]
    }
    expect(valueNestsDeeper([new Point()], 5, Number.POSITIVE_INFINITY)).toBe(false)
    expect(valueNestsDeeper([new Point()], 4, Number.POSITIVE_INFINITY)).toBe(true)
  })

  it('valueNestsDeeper() gives up past its budget of containers, so shared objects and cycles end', () => {
    const cyclic: unknown[] = []
    cyclic.push(cyclic)
    expect(valueNestsDeeper(cyclic, 512, 10_000)).toBe(true)
    // 40 levels that each hold the next twice: 2^40 paths, but the budget ends the walk.
    let shared: unknown[] = []
    for (let level = 0; level < 40; level++) shared = [shared, shared]
    const started = performance.now()
    expect(valueNestsDeeper(shared, 512, 1000)).toBe(true)
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('nesting of stored values', () => {
  it("'json' reads and writes values nested 512 deep, and refuses 513 both ways", () => {
    expect(jsonCodec.decode(nestedJson(512))).toEqual(nestedArray(512))
    expect(() => jsonCodec.decode(nestedJson(513))).toThrow('Stored JSON nests deeper than 512 levels')
    expect(() => jsonCodec.decode(nestedJson(1_000_000))).toThrow(TypeError)
    expect(jsonCodec.encode(nestedArray(512))).toBe(nestedJson(512))
    expectTypeError(() => jsonCodec.encode(nestedArray(513)), 'valueType `json`', 'nested at most 512 deep')
  })

  it("'superjson' counts its envelope: a value 511 deep with metadata is 512 deep stored", () => {
    const withDate = (depth: number): unknown => {
      let value: unknown = new Date(0)
      for (let level = 0; level < depth; level++) value = [value]
      return value
    }
    const stored = superjsonCodec.encode(withDate(511)) as string
    expect(stored.startsWith('{"json":')).toBe(true)
    expect(superjsonCodec.decode(stored)).toEqual(withDate(511))
    expectTypeError(() => superjsonCodec.encode(withDate(512)), 'valueType `superjson`', 'nested at most 512')
    expect(() => superjsonCodec.decode(nestedJson(513))).toThrow('Stored JSON nests deeper than 512 levels')
  })

  it("'msgpack' reads and writes values nested 512 deep, and refuses 513 both ways", () => {
    expect(msgpackCodec.decode(nestedMsgpack(512))).toEqual(nestedArray(512))
    expect(() => msgpackCodec.decode(nestedMsgpack(513))).toThrow(
      'Stored MessagePack nests deeper than 512 levels',
    )
    expectTypeError(() => msgpackCodec.encode(nestedArray(513)), 'valueType `msgpack`', 'nested at most 512')
    expect(msgpackCodec.decode(msgpackCodec.encode(nestedArray(512)) as Buffer)).toEqual(nestedArray(512))
  })

  it("'msgpack' fails on data nested 1e6 deep without harming the next read", () => {
    expect(() => msgpackCodec.decode(nestedMsgpack(1_000_000))).toThrow(RangeError)
    const value = { list: [1, 2], map: new Map([[1, new Set([1])]]) }
    expect(msgpackCodec.decode(msgpackCodec.encode(value) as Buffer)).toEqual(value)
  })

  it("'msgpack' refuses msgpackr's structured-clone extensions, so a stored value cannot hold itself", () => {
    const cyclic = cyclicMsgpack()
    // A reader with structured clones on would make the cycle: this data is what the test says it is.
    const lenient = new Packr({ structuredClone: true, moreTypes: true, mapsAsObjects: false })
    const looped = lenient.unpack(cyclic) as { self: unknown }
    expect(looped.self).toBe(looped)
    expect(() => msgpackCodec.decode(cyclic)).toThrow('Structured clone extension is disabled')
    // Objects reached twice are written twice, as before: no references in what flipcache writes.
    const shared = { n: 1 }
    const back = msgpackCodec.decode(msgpackCodec.encode([shared, shared]) as Buffer) as unknown[]
    expect(back).toEqual([shared, shared])
    expect(back[0]).not.toBe(back[1])
  })
})
