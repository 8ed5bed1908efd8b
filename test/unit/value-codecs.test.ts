import { Unpackr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { ValueTypeName } from '../../src/index.js'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { boolCodec, bytesCodec, floatCodec, intCodec, stringCodec } from '../../src/types/scalar-codecs.js'
import { jsonCodec, superjsonCodec } from '../../src/types/structured-codecs.js'
import type { RedisValue, ValueCodec } from '../../src/types/value-codec.js'
import { isValueTypeName, valueCodecFor } from '../../src/types/value-type.js'
import { expectTypeError } from './expect-type-error.js'

const MiB = 1024 * 1024

/** What Redis hands back for what was written: a fresh Buffer for `reply: 'buffer'`, else a UTF-8 string. */
function throughRedis(codec: ValueCodec<unknown>, written: RedisValue): RedisValue {
  const bytes = Buffer.from(written)
  return codec.reply === 'buffer' ? bytes : bytes.toString('utf8')
}

/** Encodes, stores (as Redis would) and decodes `value`. */
function roundTrip<V>(codec: ValueCodec<V>, value: V): V {
  return codec.decode(throughRedis(codec as ValueCodec<unknown>, codec.encode(value)))
}

/** Calls `encode` with a value of any type, to check what a codec refuses. */
function encodeAnything(codec: ValueCodec<unknown>, value: unknown): RedisValue {
  return codec.encode(value)
}

/** Like `toStrictEqual`, but compares bytes directly (deep equality of a 1 MiB Buffer takes seconds). */
function expectSameValue(actual: unknown, expected: unknown): void {
  if (expected instanceof Uint8Array) {
    expect(Buffer.isBuffer(actual)).toBe(true)
    expect(Buffer.from(expected).equals(actual as Buffer)).toBe(true)
  } else {
    expect(actual).toStrictEqual(expected)
  }
}

function byteLength(encoded: RedisValue): number {
  return Buffer.byteLength(encoded)
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('stringCodec', () => {
  it('stringCodec writes a string as it is and reads it back unchanged', () => {
    for (const value of ['', 'x', 'ünïcödé 😀', 'line\nbreak\0nul', '{"json":1}', 'x'.repeat(MiB)]) {
      expect(stringCodec.encode(value)).toBe(value)
      expect(roundTrip(stringCodec, value)).toBe(value)
    }
  })

  it.each<[string, unknown, string]>([
    ['a number', 1, '`1` (number)'],
    ['null', null, '`null` (null)'],
    ['undefined', undefined, '`undefined` (undefined)'],
    ['a Buffer', Buffer.from('x'), '(object)'],
  ])('stringCodec refuses %s with a TypeError quoting it', (_label, value, quoted) => {
    expectTypeError(() => encodeAnything(stringCodec, value), 'valueType `string`', quoted)
  })
})

describe('intCodec', () => {
  it('intCodec round-trips safe integers exactly', () => {
    for (const value of [0, 7, -42, 1_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(intCodec.encode(value)).toBe(String(value))
      expect(roundTrip(intCodec, value)).toBe(value)
    }
  })

  it('intCodec writes -0 as 0', () => {
    expect(intCodec.encode(-0)).toBe('0')
  })

  it.each<[string, unknown, string]>([
    ['1.5', 1.5, '`1.5` (number)'],
    ["'x'", 'x', "`'x'` (string)"],
    ["'5'", '5', "`'5'` (string)"],
    ['NaN', Number.NaN, '`NaN` (number)'],
    ['Infinity', Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    ['2 ** 53', 2 ** 53, '`9007199254740992` (number)'],
    ['5n', 5n, '`5n` (bigint)'],
    ['null', null, '`null` (null)'],
  ])('intCodec refuses %s with a TypeError quoting it', (_label, value, quoted) => {
    expectTypeError(() => encodeAnything(intCodec, value), 'valueType `int`', quoted)
  })

  it('intCodec reads integers written by other programs with a sign or leading zeros', () => {
    expect(intCodec.decode('+5')).toBe(5)
    expect(intCodec.decode('-5')).toBe(-5)
    expect(intCodec.decode('007')).toBe(7)
  })

  it.each(['abc', '', '1.5', ' 5', '5 ', '1e3', '0x10', '9007199254740993', 'NaN'])(
    'intCodec.decode() throws a TypeError on the corrupt stored data %j',
    (raw) => {
      expectTypeError(() => intCodec.decode(raw), 'not a valid `int`', `\`'${raw}'\` (string)`)
    },
  )
})

describe('floatCodec', () => {
  it('floatCodec keeps -0, NaN, Infinity and -Infinity', () => {
    expect(floatCodec.encode(-0)).toBe('-0')
    expect(floatCodec.encode(Number.NaN)).toBe('NaN')
    expect(floatCodec.encode(Number.POSITIVE_INFINITY)).toBe('Infinity')
    expect(floatCodec.encode(Number.NEGATIVE_INFINITY)).toBe('-Infinity')
    expect(roundTrip(floatCodec, -0)).toBe(-0)
    expect(roundTrip(floatCodec, Number.NaN)).toBeNaN()
    expect(roundTrip(floatCodec, Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY)
    expect(roundTrip(floatCodec, Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY)
  })

  it('floatCodec round-trips every finite number exactly', () => {
    for (const value of [0, 1.5, -2.25, 0.1 + 0.2, 1e21, 1e-300, 5e-324, Number.MAX_VALUE, -1e-7, 42]) {
      expect(roundTrip(floatCodec, value)).toBe(value)
    }
  })

  it('floatCodec reads decimal spellings written by other programs', () => {
    expect(floatCodec.decode('1E5')).toBe(100_000)
    expect(floatCodec.decode('.5')).toBe(0.5)
    expect(floatCodec.decode('5.')).toBe(5)
    expect(floatCodec.decode('+1.5')).toBe(1.5)
    expect(floatCodec.decode('+Infinity')).toBe(Number.POSITIVE_INFINITY)
    expect(floatCodec.decode('nan')).toBeNaN()
  })

  // The pattern that validates stored floats is case-insensitive, so these pass validation, but
  // Number('infinity') is NaN: the value silently comes back as NaN instead of Infinity (or an error).
  it("floatCodec.decode() reads 'infinity' and 'inf' in any case as an infinity, not as NaN", () => {
    expect(floatCodec.decode('infinity')).toBe(Number.POSITIVE_INFINITY)
    expect(floatCodec.decode('INFINITY')).toBe(Number.POSITIVE_INFINITY)
    expect(floatCodec.decode('-infinity')).toBe(Number.NEGATIVE_INFINITY)
    expect(floatCodec.decode('inf')).toBe(Number.POSITIVE_INFINITY)
    expect(floatCodec.decode('+Inf')).toBe(Number.POSITIVE_INFINITY)
    expect(floatCodec.decode('-inf')).toBe(Number.NEGATIVE_INFINITY)
    expect(floatCodec.decode('nan')).toBeNaN()
  })

  it.each<[string, unknown, string]>([
    ["'1'", '1', "`'1'` (string)"],
    ['1n', 1n, '`1n` (bigint)'],
    ['null', null, '`null` (null)'],
    ['undefined', undefined, '`undefined` (undefined)'],
  ])('floatCodec refuses %s with a TypeError quoting it', (_label, value, quoted) => {
    expectTypeError(() => encodeAnything(floatCodec, value), 'valueType `float`', quoted)
  })

  it.each(['abc', '', '1.5.5', '0x10', ' 1', 'infinite', '1,5'])(
    'floatCodec.decode() throws a TypeError on the corrupt stored data %j',
    (raw) => {
      expectTypeError(() => floatCodec.decode(raw), 'not a valid `float`', `\`'${raw}'\` (string)`)
    },
  )
})

describe('boolCodec', () => {
  it("boolCodec writes true as '1' and false as '0', and reads them back", () => {
    expect(boolCodec.encode(true)).toBe('1')
    expect(boolCodec.encode(false)).toBe('0')
    expect(roundTrip(boolCodec, true)).toBe(true)
    expect(roundTrip(boolCodec, false)).toBe(false)
  })

  it("boolCodec reads 'true' / 'false' (JSON) and 'True' / 'False' (Python's str()) written by other programs", () => {
    expect(boolCodec.decode('true')).toBe(true)
    expect(boolCodec.decode('false')).toBe(false)
    expect(boolCodec.decode('True')).toBe(true)
    expect(boolCodec.decode('False')).toBe(false)
  })

  it.each(['yes', 'no', 'TRUE', 'FALSE', 'tRUE', '', ' 1', '2', 'null'])(
    'boolCodec.decode() throws a TypeError on the corrupt stored data %j',
    (raw) => {
      expectTypeError(() => boolCodec.decode(raw), 'not a valid `bool`', `\`'${raw}'\` (string)`)
    },
  )

  it.each<[string, unknown, string]>([
    ['1', 1, '`1` (number)'],
    ["'true'", 'true', "`'true'` (string)"],
    ['null', null, '`null` (null)'],
  ])('boolCodec refuses %s with a TypeError quoting it', (_label, value, quoted) => {
    expectTypeError(() => encodeAnything(boolCodec, value), 'valueType `bool`', quoted)
  })
})

describe('bytesCodec', () => {
  it('bytesCodec asks Redis for raw bytes', () => {
    expect(bytesCodec.reply).toBe('buffer')
  })

  it('bytesCodec accepts a Buffer and round-trips its bytes', () => {
    const value = Buffer.from([0, 1, 2, 254, 255])
    const encoded = bytesCodec.encode(value)
    expect(Buffer.isBuffer(encoded)).toBe(true)
    expect(encoded).toEqual(value)
    const back = roundTrip(bytesCodec, value)
    expect(Buffer.isBuffer(back)).toBe(true)
    expect(Buffer.compare(back, value)).toBe(0)
  })

  it('bytesCodec accepts a Uint8Array and reads it back as a Buffer with the same bytes', () => {
    const value = new Uint8Array([9, 8, 7])
    const back = roundTrip(bytesCodec, value)
    expect(Buffer.isBuffer(back)).toBe(true)
    expect([...back]).toEqual([9, 8, 7])
  })

  it('bytesCodec writes only the bytes a Uint8Array view covers, not its whole ArrayBuffer', () => {
    const view = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 3)
    expect([...(bytesCodec.encode(view) as Buffer)]).toEqual([2, 3])
    const slice = Buffer.from([1, 2, 3, 4, 5]).subarray(3)
    expect([...(bytesCodec.encode(slice) as Buffer)]).toEqual([4, 5])
  })

  it('bytesCodec copies on encode: changing the Buffer after encode() changes nothing written', () => {
    const value = Buffer.from([1, 2, 3])
    const encoded = bytesCodec.encode(value) as Buffer
    value[0] = 99
    expect([...encoded]).toEqual([1, 2, 3])
    expect(encoded).not.toBe(value)
  })

  it('bytesCodec copies on encode: changing the Uint8Array after encode() changes nothing written', () => {
    const value = new Uint8Array([1, 2, 3])
    const encoded = bytesCodec.encode(value) as Buffer
    value.fill(0)
    expect([...encoded]).toEqual([1, 2, 3])
    expect(encoded.buffer).not.toBe(value.buffer)
  })

  it.each<[string, unknown, string]>([
    ['a string', 'bytes', "`'bytes'` (string)"],
    ['an array of numbers', [1, 2], '(array)'],
    ['an ArrayBuffer', new ArrayBuffer(2), '(object)'],
    ['a DataView', new DataView(new ArrayBuffer(2)), '(object)'],
    ['an Int8Array', new Int8Array(2), '(object)'],
    ['null', null, '`null` (null)'],
  ])('bytesCodec refuses %s with a TypeError', (_label, value, quoted) => {
    expectTypeError(() => encodeAnything(bytesCodec, value), 'valueType `bytes`', quoted)
  })
})

describe('jsonCodec', () => {
  it('jsonCodec round-trips JSON values exactly', () => {
    const values: unknown[] = [
      '',
      'text',
      0,
      -42,
      1.5,
      true,
      false,
      null,
      [],
      {},
      [1, 'two', { three: true }],
      { a: { b: { c: [null, 1, 'x'] } } },
      Array.from({ length: 1000 }, (_, i) => i),
    ]
    for (const value of values) expect(roundTrip(jsonCodec, value)).toStrictEqual(value)
  })

  it('jsonCodec writes what JSON.stringify writes', () => {
    expect(jsonCodec.encode({ id: 1, tags: ['a'] })).toBe('{"id":1,"tags":["a"]}')
    expect(jsonCodec.encode('x')).toBe('"x"')
  })

  it('jsonCodec follows JSON: Dates come back as strings, undefined fields are dropped', () => {
    expect(roundTrip(jsonCodec, { when: new Date(0) })).toEqual({ when: '1970-01-01T00:00:00.000Z' })
    expect(roundTrip(jsonCodec, { a: 1, gone: undefined })).toStrictEqual({ a: 1 })
  })

  it.each<[string, unknown, string]>([
    ['undefined', undefined, '`undefined` (undefined)'],
    ['a function', () => 1, '(function)'],
    ['a symbol', Symbol('s'), '(symbol)'],
    ['a BigInt', 5n, '`5n` (bigint)'],
    ['a BigInt nested in an object', { n: 5n }, '(object)'],
  ])('jsonCodec refuses %s with a TypeError', (_label, value, quoted) => {
    expectTypeError(() => encodeAnything(jsonCodec, value), 'valueType `json`', quoted)
  })

  it('jsonCodec refuses a value with a cycle with a TypeError', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expectTypeError(() => jsonCodec.encode(cyclic), 'valueType `json`', 'circular')
  })

  it('jsonCodec.decode() throws on corrupt stored data', () => {
    for (const raw of ['', '{', '{"a":}', 'undefined', "{'a':1}", '[1,]']) {
      expect(() => jsonCodec.decode(raw)).toThrow(SyntaxError)
    }
  })
})

describe('superjsonCodec', () => {
  it('superjsonCodec round-trips Date, Map, Set, BigInt and RegExp', () => {
    expect(roundTrip(superjsonCodec, new Date(0))).toEqual(new Date(0))
    expect(roundTrip(superjsonCodec, new Date(0))).toBeInstanceOf(Date)
    const map = new Map<unknown, unknown>([
      [1, 'one'],
      ['two', new Set([2])],
    ])
    expect(roundTrip(superjsonCodec, map)).toEqual(map)
    expect(roundTrip(superjsonCodec, new Set(['a', 'b']))).toEqual(new Set(['a', 'b']))
    expect(roundTrip(superjsonCodec, 12345678901234567890123n)).toBe(12345678901234567890123n)
    expect(roundTrip(superjsonCodec, -5n)).toBe(-5n)
    const regexp = roundTrip(superjsonCodec, /flip(cache)?/gi) as RegExp
    expect(regexp).toBeInstanceOf(RegExp)
    expect(regexp.source).toBe('flip(cache)?')
    expect(regexp.flags).toBe('gi')
  })

  it('superjsonCodec round-trips undefined at the top level and nested', () => {
    expect(roundTrip(superjsonCodec, undefined)).toBeUndefined()
    const nested = roundTrip(superjsonCodec, { missing: undefined, list: [1, undefined] }) as Record<
      string,
      unknown
    >
    expect(nested).toStrictEqual({ missing: undefined, list: [1, undefined] })
    expect(Object.hasOwn(nested, 'missing')).toBe(true)
  })

  it('superjsonCodec round-trips -0, NaN and the infinities', () => {
    expect(roundTrip(superjsonCodec, -0)).toBe(-0)
    expect(roundTrip(superjsonCodec, Number.NaN)).toBeNaN()
    expect(roundTrip(superjsonCodec, Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY)
    expect(roundTrip(superjsonCodec, Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY)
    expect(roundTrip(superjsonCodec, [-0, Number.NaN])).toStrictEqual([-0, Number.NaN])
  })

  it('superjsonCodec round-trips nested structures of every supported type', () => {
    const value = {
      user: { name: 'Ada', joined: new Date(1), tags: new Set(['admin']) },
      scores: new Map<string, unknown>([['a', { best: 10n, at: new Date(2) }]]),
      pattern: /x+/m,
      list: [1, undefined, -0, { deep: [new Date(3)] }],
      plain: { a: [1, 2, 3], b: null },
    }
    expect(roundTrip(superjsonCodec, value)).toStrictEqual(value)
  })

  it('superjsonCodec round-trips the same object reached twice, and cycles', () => {
    const shared = { x: 1 }
    const back = roundTrip(superjsonCodec, { a: shared, b: shared }) as { a: object; b: object }
    expect(back).toEqual({ a: { x: 1 }, b: { x: 1 } })
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    const loop = roundTrip(superjsonCodec, cyclic) as Record<string, unknown>
    expect(loop.self).toBe(loop)
  })

  it('superjsonCodec stores values that need no type metadata as plain JSON', () => {
    expect(superjsonCodec.encode({ id: 1 })).toBe('{"id":1}')
    expect(superjsonCodec.encode([1, 'a'])).toBe('[1,"a"]')
    expect(superjsonCodec.encode('x')).toBe('"x"')
    expect(superjsonCodec.encode('')).toBe('""')
    expect(superjsonCodec.encode(0)).toBe('0')
    expect(superjsonCodec.encode(null)).toBe('null')
    expect(superjsonCodec.encode(true)).toBe('true')
    expect(superjsonCodec.encode({ outer: { json: 1 } })).toBe('{"outer":{"json":1}}')
    expect(superjsonCodec.encode({ meta: 1 })).toBe('{"meta":1}')
  })

  it("superjsonCodec wraps values that need type metadata in superjson's envelope", () => {
    expect(superjsonCodec.encode(new Date(0))).toBe(
      '{"json":"1970-01-01T00:00:00.000Z","meta":{"values":["Date"],"v":1}}',
    )
    expect(JSON.parse(superjsonCodec.encode({ n: 1n }) as string)).toMatchObject({ json: { n: '1' } })
  })

  it('superjsonCodec reads plain JSON written by other programs', () => {
    expect(superjsonCodec.decode('{"id":1,"name":"Ada"}')).toEqual({ id: 1, name: 'Ada' })
    expect(superjsonCodec.decode('[1,2]')).toEqual([1, 2])
    expect(superjsonCodec.decode('"x"')).toBe('x')
  })

  it('superjsonCodec round-trips objects that look like its own envelope exactly', () => {
    const lookAlikes: unknown[] = [
      { json: 1 },
      { json: 1, meta: 2 },
      { json: { json: 1 } },
      { json: null },
      { json: undefined },
      { json: 1, meta: undefined },
      { json: new Date(0) },
      { json: '1970-01-01T00:00:00.000Z', meta: { values: ['Date'], v: 1 } },
      { json: '5', meta: { values: ['bigint'] } },
    ]
    for (const value of lookAlikes) expect(roundTrip(superjsonCodec, value)).toStrictEqual(value)
  })

  it("superjsonCodec passes through superjson's quiet conversions: class instances become plain objects", () => {
    expect(roundTrip(superjsonCodec, new Point(1, 2))).toStrictEqual({ x: 1, y: 2 })
  })

  // superjson serializes a bare function or symbol to `undefined`, which the codec hands to
  // JSON.stringify, which returns `undefined`: encode() returns undefined instead of a string.
  it('superjsonCodec refuses a top-level function or symbol with a TypeError rather than returning undefined', () => {
    expectTypeError(() => encodeAnything(superjsonCodec, () => 1), 'valueType `superjson`')
    expectTypeError(() => encodeAnything(superjsonCodec, Symbol('s')), 'valueType `superjson`')
  })

  it('superjsonCodec.decode() throws on corrupt stored data', () => {
    expect(() => superjsonCodec.decode('')).toThrow(SyntaxError)
    expect(() => superjsonCodec.decode('{"json":')).toThrow(SyntaxError)
    expect(() => superjsonCodec.decode('undefined')).toThrow(SyntaxError)
    expect(() => superjsonCodec.decode('{"json":1,"meta":{"values":["nope"],"v":1}}')).toThrow(/nope/)
  })
})

describe('msgpackCodec', () => {
  it('msgpackCodec asks Redis for raw bytes and writes a Buffer', () => {
    expect(msgpackCodec.reply).toBe('buffer')
    expect(Buffer.isBuffer(msgpackCodec.encode({ a: 1 }))).toBe(true)
  })

  it('msgpackCodec round-trips JSON-like values exactly', () => {
    const values: unknown[] = [
      '',
      'x',
      0,
      1,
      -1,
      1.5,
      true,
      false,
      null,
      [],
      {},
      { a: [1, 'two', { three: true }] },
    ]
    for (const value of values) expect(roundTrip(msgpackCodec, value)).toStrictEqual(value)
  })

  it('msgpackCodec keeps numbers as numbers, large ones and non-finite ones included', () => {
    const numbers = [2 ** 31, 2 ** 32, 2 ** 40, -(2 ** 40), 2 ** 53 - 1, -(2 ** 53 - 1), 1e300, Number.NaN]
    const back = roundTrip(msgpackCodec, [...numbers, Number.POSITIVE_INFINITY]) as unknown[]
    expect(back).toStrictEqual([...numbers, Number.POSITIVE_INFINITY])
    for (const item of back) expect(typeof item).toBe('number')
  })

  it('msgpackCodec round-trips Dates', () => {
    const back = roundTrip(msgpackCodec, new Date(1_700_000_000_123))
    expect(back).toBeInstanceOf(Date)
    expect(back).toEqual(new Date(1_700_000_000_123))
    expect(roundTrip(msgpackCodec, { at: new Date(0) })).toStrictEqual({ at: new Date(0) })
  })

  it('msgpackCodec round-trips Maps with non-string keys', () => {
    const map = new Map<unknown, unknown>([
      [1, 'one'],
      [true, 'yes'],
      [null, 'nothing'],
      [{ k: 1 }, 'object key'],
      ['1', 'string one'],
    ])
    const back = roundTrip(msgpackCodec, map)
    expect(back).toBeInstanceOf(Map)
    expect(back).toEqual(map)
    expect((back as Map<unknown, unknown>).get(1)).toBe('one')
    expect((back as Map<unknown, unknown>).get('1')).toBe('string one')
  })

  it('msgpackCodec round-trips Sets', () => {
    const back = roundTrip(msgpackCodec, new Set([1, 'a', null]))
    expect(back).toBeInstanceOf(Set)
    expect(back).toEqual(new Set([1, 'a', null]))
  })

  it('msgpackCodec writes BigInts within 64 bits as msgpack integers: safe ones read back as numbers', () => {
    for (const value of [0n, 5n, -5n, 2n ** 53n - 1n, -(2n ** 53n - 1n)]) {
      expect(roundTrip(msgpackCodec, value)).toBe(Number(value))
    }
    for (const value of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n]) {
      expect(roundTrip(msgpackCodec, value)).toBe(value)
    }
  })

  it('msgpackCodec round-trips BigInts wider than 64 bits', () => {
    for (const value of [2n ** 64n, 2n ** 70n, -(2n ** 70n), 2n ** 64n - 1n, 10n ** 40n + 7n]) {
      expect(roundTrip(msgpackCodec, value)).toBe(value)
    }
  })

  it('msgpackCodec round-trips RegExps with their flags', () => {
    const back = roundTrip(msgpackCodec, /a+b/gi)
    expect(back).toBeInstanceOf(RegExp)
    expect((back as RegExp).source).toBe('a+b')
    expect((back as RegExp).flags).toBe('gi')
  })

  it('msgpackCodec round-trips undefined at the top level and nested', () => {
    expect(roundTrip(msgpackCodec, undefined)).toBeUndefined()
    const back = roundTrip(msgpackCodec, { u: undefined, list: [1, undefined] }) as Record<string, unknown>
    expect(back).toStrictEqual({ u: undefined, list: [1, undefined] })
    expect(Object.hasOwn(back, 'u')).toBe(true)
  })

  it('msgpackCodec reads plain objects and Maps with string keys as plain objects, other Maps as Maps', () => {
    const value = { o: { a: 1 }, m: new Map([['a', 1]]), list: [new Map(), {}, new Map([[1, {}]])] }
    const back = roundTrip(msgpackCodec, value) as Record<string, unknown>
    expect(back).toStrictEqual({ o: { a: 1 }, m: { a: 1 }, list: [{}, {}, new Map([[1, {}]])] })
    expect(Object.getPrototypeOf(back.o)).toBe(Object.prototype)
    expect(Object.getPrototypeOf(back.m)).toBe(Object.prototype)
  })

  it('msgpackCodec round-trips Buffers as Buffers', () => {
    const value = Buffer.from([0, 1, 2, 255])
    const back = roundTrip(msgpackCodec, value)
    expect(Buffer.isBuffer(back)).toBe(true)
    expect(Buffer.compare(back as Buffer, value)).toBe(0)
    const nested = roundTrip(msgpackCodec, { blob: value }) as { blob: Buffer }
    expect(Buffer.isBuffer(nested.blob)).toBe(true)
    expect([...nested.blob]).toEqual([0, 1, 2, 255])
  })

  it('msgpackCodec round-trips values mixing every supported type', () => {
    const value = {
      when: new Date(5),
      ids: new Set([1, 2 ** 40]),
      byId: new Map<unknown, unknown>([[1, { name: 'Ada', tags: ['x'] }]]),
      huge: 2n ** 80n,
      pattern: /z/y,
      missing: undefined,
      blob: Buffer.from('hi'),
    }
    expect(roundTrip(msgpackCodec, value)).toStrictEqual(value)
  })

  it('msgpackCodec round-trips arrays of many differently shaped objects', () => {
    const value = Array.from({ length: 200 }, (_, i) => ({ [`k${i}`]: i, i }))
    expect(roundTrip(msgpackCodec, value)).toStrictEqual(value)
  })

  it('msgpackCodec writes standard maps any MessagePack reader reads, as another process would', () => {
    for (let i = 0; i < 3; i++) msgpackCodec.encode({ id: i, name: 'warm-up' })
    const written = msgpackCodec.encode({ id: 99, name: 'later', byId: new Map([[1, { a: 1 }]]) }) as Buffer
    expect(written.toString('hex')).toBe(
      `83${'a26964'}63${'a46e616d65'}a56c61746572${'a46279496481'}01${'81a16101'}`,
    )
    const reader = new Unpackr({ mapsAsObjects: false, useRecords: false })
    expect(reader.unpack(Buffer.from(written))).toStrictEqual(
      new Map<unknown, unknown>([
        ['id', 99],
        ['name', 'later'],
        ['byId', new Map([[1, new Map([['a', 1]])]])],
      ]),
    )
  })

  it('msgpackCodec encode() results stay intact after later encodes reuse the packer', () => {
    const first = msgpackCodec.encode({ keep: 'me', n: [1, 2, 3] }) as Buffer
    const snapshot = Buffer.from(first)
    for (let i = 0; i < 5_000; i++) msgpackCodec.encode({ other: 'x'.repeat(i % 50), i })
    expect(first.equals(snapshot)).toBe(true)
    expect(msgpackCodec.decode(first)).toStrictEqual({ keep: 'me', n: [1, 2, 3] })
  })

  it('msgpackCodec refuses a top-level function or symbol with a TypeError', () => {
    expectTypeError(() => encodeAnything(msgpackCodec, () => 1), 'valueType `msgpack`', '(function)')
    expectTypeError(() => encodeAnything(msgpackCodec, Symbol('s')), 'valueType `msgpack`', '(symbol)')
  })

  it('msgpackCodec refuses nested symbols and cycles with a TypeError', () => {
    expectTypeError(() => encodeAnything(msgpackCodec, { s: Symbol('s') }), 'valueType `msgpack`')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expectTypeError(() => encodeAnything(msgpackCodec, cyclic), 'valueType `msgpack`')
  })

  it('msgpackCodec.decode() throws on truncated data', () => {
    const whole = msgpackCodec.encode({ a: 'hello', b: [1, 2, 3] }) as Buffer
    for (const cut of [1, 2, 5]) {
      expect(() => msgpackCodec.decode(Buffer.from(whole.subarray(0, whole.length - cut)))).toThrow()
    }
    expect(() => msgpackCodec.decode(Buffer.from([0x92, 0x01]))).toThrow(/end of MessagePack data/)
  })

  it('msgpackCodec.decode() throws on empty data and on trailing bytes', () => {
    expect(() => msgpackCodec.decode(Buffer.alloc(0))).toThrow()
    const whole = Buffer.from(msgpackCodec.encode([1, 2]))
    expect(() => msgpackCodec.decode(Buffer.concat([whole, Buffer.from([0x01])]))).toThrow()
    expect(() => msgpackCodec.decode(Buffer.from('hello world'))).toThrow()
  })

  // 0xc1 is the one byte MessagePack never uses; msgpackr returns an internal `C1Type` marker
  // object for it instead of throwing, so corrupt data decodes to a meaningless value.
  it('msgpackCodec.decode() throws on the never-used MessagePack byte 0xc1', () => {
    expect(() => msgpackCodec.decode(Buffer.from([0xc1]))).toThrow()
  })
})

describe('encoded sizes', () => {
  it('an empty string and empty bytes encode to 0 bytes and round-trip', () => {
    expect(byteLength(stringCodec.encode(''))).toBe(0)
    expect(roundTrip(stringCodec, '')).toBe('')
    expect(byteLength(bytesCodec.encode(new Uint8Array(0)))).toBe(0)
    expect(roundTrip(bytesCodec, new Uint8Array(0))).toHaveLength(0)
  })

  it.each<[string, ValueCodec<unknown>, unknown]>([
    ['string', stringCodec as ValueCodec<unknown>, 'x'],
    ['int', intCodec as ValueCodec<unknown>, 7],
    ['float', floatCodec as ValueCodec<unknown>, 0],
    ['bool', boolCodec as ValueCodec<unknown>, true],
    ['json', jsonCodec, 0],
    ['superjson', superjsonCodec, 0],
    ['msgpack', msgpackCodec, null],
    ['bytes', bytesCodec as ValueCodec<unknown>, Buffer.from([42])],
  ])('%s has values that encode to 1 byte and round-trip', (_type, codec, value) => {
    expect(byteLength(codec.encode(value))).toBe(1)
    expectSameValue(roundTrip(codec, value), value)
  })

  it.each<[string, ValueCodec<unknown>, unknown]>([
    ['string', stringCodec as ValueCodec<unknown>, 'x'.repeat(MiB)],
    ['json', jsonCodec, 'x'.repeat(MiB - 2)],
    ['superjson', superjsonCodec, 'x'.repeat(MiB - 2)],
    ['msgpack', msgpackCodec, Buffer.alloc(MiB - 5, 7)],
    ['bytes', bytesCodec as ValueCodec<unknown>, Buffer.alloc(MiB, 7)],
  ])('%s has values that encode to 1 MiB and round-trip', (_type, codec, value) => {
    expect(byteLength(codec.encode(value))).toBe(MiB)
    expectSameValue(roundTrip(codec, value), value)
  })
})

describe('valueCodecFor', () => {
  it.each<[Exclude<ValueTypeName, 'custom'>, ValueCodec<unknown>, 'string' | 'buffer']>([
    ['string', stringCodec as ValueCodec<unknown>, 'string'],
    ['int', intCodec as ValueCodec<unknown>, 'string'],
    ['float', floatCodec as ValueCodec<unknown>, 'string'],
    ['bool', boolCodec as ValueCodec<unknown>, 'string'],
    ['json', jsonCodec, 'string'],
    ['superjson', superjsonCodec, 'string'],
    ['msgpack', msgpackCodec, 'buffer'],
    ['bytes', bytesCodec as ValueCodec<unknown>, 'buffer'],
  ])("valueCodecFor('%s') gives that type's codec, which wants %s replies", (name, codec, reply) => {
    const resolved = valueCodecFor<unknown>(name, undefined)
    expect(resolved).toBe(codec)
    expect(resolved.reply).toBe(reply)
  })

  it("valueCodecFor('custom') refuses to work without hooks", () => {
    expectTypeError(
      () => valueCodecFor('custom', undefined),
      "valueType: 'custom'",
      'valueEncoder',
      'valueDecoder',
    )
  })

  it("valueCodecFor('custom') encodes with the encoder and decodes strings with the decoder", () => {
    const codec = valueCodecFor<{ n: number }>('custom', {
      encoder: (value) => `n=${value.n}`,
      decoder: (raw) => ({ n: Number(raw.slice(2)) }),
      decodeBytes: false,
    })
    expect(codec.reply).toBe('string')
    expect(codec.encode({ n: 5 })).toBe('n=5')
    expect(codec.decode('n=5')).toEqual({ n: 5 })
  })

  it("valueCodecFor('custom') hands the decoder raw Buffers when decodeBytes is set", () => {
    const seen: unknown[] = []
    const codec = valueCodecFor<number[]>('custom', {
      encoder: (value) => Buffer.from(value),
      decoder: (raw) => {
        seen.push(raw)
        return [...(raw as unknown as Buffer)]
      },
      decodeBytes: true,
    })
    expect(codec.reply).toBe('buffer')
    const encoded = codec.encode([1, 2, 3])
    expect(Buffer.isBuffer(encoded)).toBe(true)
    expect(codec.decode(Buffer.from(encoded))).toEqual([1, 2, 3])
    expect(Buffer.isBuffer(seen[0])).toBe(true)
  })

  it("valueCodecFor('custom') refuses an encoder result that is neither a string nor a Buffer", () => {
    for (const [result, quoted] of [
      [42, '`42` (number)'],
      [undefined, '`undefined` (undefined)'],
      [new Uint8Array([1]), '(object)'],
      [{ toString: () => 'x' }, '(object)'],
    ] as const) {
      const codec = valueCodecFor<string>('custom', {
        encoder: () => result as unknown as string,
        decoder: (raw) => raw,
        decodeBytes: false,
      })
      expectTypeError(() => codec.encode('x'), '`valueEncoder`', 'a string or a Buffer', quoted)
    }
  })

  it("valueCodecFor('custom') lets an error thrown by the encoder through unchanged", () => {
    const failure = new Error('encoder broke')
    const codec = valueCodecFor<string>('custom', {
      encoder: () => {
        throw failure
      },
      decoder: (raw) => raw,
      decodeBytes: false,
    })
    expect(() => codec.encode('x')).toThrow(failure)
  })
})

describe('isValueTypeName', () => {
  it('isValueTypeName() is true for every ValueTypeName and false for anything else', () => {
    for (const name of Object.values(ValueTypeName)) expect(isValueTypeName(name)).toBe(true)
    for (const other of ['xml', 'JSON', 'toString', '__proto__', '', 42, null, undefined]) {
      expect(isValueTypeName(other)).toBe(false)
    }
  })
})
