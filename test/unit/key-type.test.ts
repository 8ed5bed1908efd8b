import { describe, expect, it } from 'vitest'
import { type KeyCodec, type KeyType, KeyTypeName } from '../../src/index.js'
import { keyCodecFor } from '../../src/types/key-type.js'
import { expectTypeError } from './expect-type-error.js'

/** Codecs typed to accept anything, so that keys of the wrong type can be passed without casts. */
const stringKey = keyCodecFor<unknown>('string')
const intKey = keyCodecFor<unknown>('int')
const floatKey = keyCodecFor<unknown>('float')
const bigintKey = keyCodecFor<unknown>('bigint')
const jsonKey = keyCodecFor<unknown>('json')

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('keyCodecFor', () => {
  it('keyCodecFor() knows every name of KeyTypeName', () => {
    expect(Object.values(KeyTypeName)).toEqual(['string', 'int', 'float', 'bigint', 'json'])
    for (const name of Object.values(KeyTypeName)) {
      const codec = keyCodecFor(name)
      expect(codec.encode).toBeTypeOf('function')
      expect(codec.decode).toBeTypeOf('function')
    }
  })

  it.each<[string, unknown, string]>([
    ['an unknown name', 'uuid', "`'uuid'` (string)"],
    ['a name that differs in case', 'String', "`'String'` (string)"],
    ['a name inherited from Object.prototype', 'toString', "`'toString'` (string)"],
    ['__proto__', '__proto__', "`'__proto__'` (string)"],
    ['a number', 42, '`42` (number)'],
    ['null', null, '`null` (null)'],
    ['undefined', undefined, '`undefined` (undefined)'],
    ['an object without decode', { encode: (key: string) => key }, '(object)'],
    ['an object without encode', { decode: (raw: string) => raw }, '(object)'],
    ['an object whose encode is not a function', { encode: 'x', decode: (raw: string) => raw }, '(object)'],
    ['a function', (key: string) => key, '(function)'],
  ])('keyCodecFor() refuses %s with a TypeError listing the key types', (_label, keyType, quoted) => {
    expectTypeError(
      () => keyCodecFor(keyType as KeyType<string>),
      '`keyType`',
      "'string', 'int', 'float', 'bigint', 'json'",
      quoted,
    )
  })
})

describe("keyCodecFor('string')", () => {
  it("keyCodecFor('string') writes a string key as it is", () => {
    for (const key of ['a', 'user:15', ' ', '15', 'ünïcödé', '😀', '*?[]', 'x'.repeat(10_000)]) {
      expect(stringKey.encode(key)).toBe(key)
    }
  })

  it("keyCodecFor('string') refuses the empty string", () => {
    expectTypeError(() => stringKey.encode(''), 'keyType `string`', 'must not be empty', "`''` (string)")
  })

  it("keyCodecFor('string') refuses strings with lone surrogates, which Redis would store as U+FFFD", () => {
    for (const key of ['\uD800', '\uDFFF', 'a\uDC00b', 'end\uD83D']) {
      expectTypeError(() => stringKey.encode(key), 'keyType `string`', 'lone surrogates')
    }
  })

  it("keyCodecFor('string') accepts surrogate pairs (astral characters)", () => {
    expect(stringKey.encode('\uD83D\uDE00')).toBe('😀')
  })

  it.each<[string, unknown, string]>([
    ['a number', 15, '`15` (number)'],
    ['a bigint', 15n, '`15n` (bigint)'],
    ['null', null, '`null` (null)'],
    ['undefined', undefined, '`undefined` (undefined)'],
    ['an object', { id: 1 }, '`[object Object]` (object)'],
    ['a String object', new String('a'), '(object)'],
  ])("keyCodecFor('string') refuses %s with a TypeError quoting it", (_label, key, quoted) => {
    expectTypeError(() => stringKey.encode(key), 'keyType `string`', quoted)
  })

  it("keyCodecFor('string') decodes a stored key to itself", () => {
    for (const key of ['a', 'user:15', '😀']) expect(stringKey.decode(stringKey.encode(key))).toBe(key)
  })
})

describe("keyCodecFor('int')", () => {
  it("keyCodecFor('int') encodes 15 and '15' the same way", () => {
    expect(intKey.encode(15)).toBe('15')
    expect(intKey.encode('15')).toBe('15')
  })

  it("keyCodecFor('int') normalises the spelling of integer strings ('+15', '007', '-0')", () => {
    expect(intKey.encode('+15')).toBe('15')
    expect(intKey.encode('007')).toBe('7')
    expect(intKey.encode('-0')).toBe('0')
    expect(intKey.encode(-0)).toBe('0')
    expect(intKey.encode('-15')).toBe('-15')
  })

  it("keyCodecFor('int') accepts the safe integer range and nothing beyond it", () => {
    expect(intKey.encode(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991')
    expect(intKey.encode(Number.MIN_SAFE_INTEGER)).toBe('-9007199254740991')
    expect(intKey.encode('9007199254740991')).toBe('9007199254740991')
    expectTypeError(() => intKey.encode('9007199254740992'), 'keyType `int`', "`'9007199254740992'` (string)")
  })

  it.each<[string, unknown, string]>([
    ["'abc'", 'abc', "`'abc'` (string)"],
    ['1.5', 1.5, '`1.5` (number)'],
    ["'1.5'", '1.5', "`'1.5'` (string)"],
    ['NaN', Number.NaN, '`NaN` (number)'],
    ['Infinity', Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    ['2 ** 53', 2 ** 53, '`9007199254740992` (number)'],
    ["''", '', "`''` (string)"],
    ["' 15'", ' 15', "`' 15'` (string)"],
    ["'1e3'", '1e3', "`'1e3'` (string)"],
    ["'0x10'", '0x10', "`'0x10'` (string)"],
    ['15n', 15n, '`15n` (bigint)'],
    ['null', null, '`null` (null)'],
    ['true', true, '`true` (boolean)'],
  ])(
    "keyCodecFor('int') refuses %s with a TypeError naming the key and the type 'int'",
    (_label, key, quoted) => {
      expectTypeError(() => intKey.encode(key), 'keyType `int`', quoted)
    },
  )

  it("keyCodecFor('int') decodes stored keys back to numbers", () => {
    for (const key of [0, 15, -15, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(intKey.decode(intKey.encode(key))).toBe(key)
    }
    expect(intKey.decode(intKey.encode('+15'))).toBe(15)
  })

  it("keyCodecFor('int') refuses to decode a stored key that is not an integer", () => {
    expectTypeError(() => intKey.decode('abc'), 'keyType `int`', "`'abc'` (string)")
    expectTypeError(() => intKey.decode('1.5'), 'keyType `int`', "`'1.5'` (string)")
    expectTypeError(() => intKey.decode(''), 'keyType `int`', "`''` (string)")
  })
})

describe("keyCodecFor('float')", () => {
  it("keyCodecFor('float') encodes a number and its string the same way", () => {
    expect(floatKey.encode(1.5)).toBe('1.5')
    expect(floatKey.encode('1.5')).toBe('1.5')
    expect(floatKey.encode(15)).toBe('15')
    expect(floatKey.encode('15.0')).toBe('15')
    expect(floatKey.encode('1e3')).toBe('1000')
    expect(floatKey.encode('1E3')).toBe('1000')
    expect(floatKey.encode('.5')).toBe('0.5')
    expect(floatKey.encode('5.')).toBe('5')
    expect(floatKey.encode('+2.5')).toBe('2.5')
  })

  it("keyCodecFor('float') writes 0 and -0 as the same key", () => {
    expect(floatKey.encode(-0)).toBe('0')
    expect(floatKey.encode('-0')).toBe('0')
    expect(floatKey.encode(0)).toBe('0')
  })

  it.each<[string, unknown, string]>([
    ['NaN', Number.NaN, '`NaN` (number)'],
    ['Infinity', Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    ['-Infinity', Number.NEGATIVE_INFINITY, '`-Infinity` (number)'],
    ["'Infinity'", 'Infinity', "`'Infinity'` (string)"],
    ["'NaN'", 'NaN', "`'NaN'` (string)"],
    ["'1e400'", '1e400', "`'1e400'` (string)"],
    ["'abc'", 'abc', "`'abc'` (string)"],
    ["''", '', "`''` (string)"],
    ["'0x10'", '0x10', "`'0x10'` (string)"],
    ["' 1.5'", ' 1.5', "`' 1.5'` (string)"],
    ['15n', 15n, '`15n` (bigint)'],
    ['null', null, '`null` (null)'],
  ])(
    "keyCodecFor('float') refuses %s with a TypeError naming the key and the type",
    (_label, key, quoted) => {
      expectTypeError(() => floatKey.encode(key), 'keyType `float`', quoted)
    },
  )

  it("keyCodecFor('float') decodes stored keys back to the same number", () => {
    for (const key of [0, 1.5, -2.25, 0.1 + 0.2, 1e21, 5e-324, Number.MAX_VALUE, -1e-7]) {
      expect(floatKey.decode(floatKey.encode(key))).toBe(key)
    }
  })

  it("keyCodecFor('float') refuses to decode a stored key that is not a finite number", () => {
    expectTypeError(() => floatKey.decode('abc'), 'keyType `float`', "`'abc'` (string)")
    expectTypeError(() => floatKey.decode('Infinity'), 'keyType `float`', "`'Infinity'` (string)")
  })
})

describe("keyCodecFor('bigint')", () => {
  it("keyCodecFor('bigint') encodes bigints, safe integers and digit strings the same way", () => {
    expect(bigintKey.encode(15n)).toBe('15')
    expect(bigintKey.encode(15)).toBe('15')
    expect(bigintKey.encode('15')).toBe('15')
    expect(bigintKey.encode('+15')).toBe('15')
    expect(bigintKey.encode('-15')).toBe('-15')
    expect(bigintKey.encode('-0')).toBe('0')
    expect(bigintKey.encode('0015')).toBe('15')
  })

  it("keyCodecFor('bigint') accepts integers far beyond 64 bits", () => {
    const huge = 2n ** 200n + 1n
    expect(bigintKey.encode(huge)).toBe(huge.toString())
    expect(bigintKey.encode(huge.toString())).toBe(huge.toString())
    expect(bigintKey.encode(-huge)).toBe(`-${huge}`)
  })

  it.each<[string, unknown, string]>([
    ['1.5', 1.5, '`1.5` (number)'],
    ['2 ** 53', 2 ** 53, '`9007199254740992` (number)'],
    ['NaN', Number.NaN, '`NaN` (number)'],
    ["'abc'", 'abc', "`'abc'` (string)"],
    ["''", '', "`''` (string)"],
    ["'1.5'", '1.5', "`'1.5'` (string)"],
    ["'1e3'", '1e3', "`'1e3'` (string)"],
    ["'0x10'", '0x10', "`'0x10'` (string)"],
    ['null', null, '`null` (null)'],
  ])(
    "keyCodecFor('bigint') refuses %s with a TypeError naming the key and the type",
    (_label, key, quoted) => {
      expectTypeError(() => bigintKey.encode(key), 'keyType `bigint`', quoted)
    },
  )

  it("keyCodecFor('bigint') decodes stored keys back to bigints", () => {
    for (const key of [0n, 15n, -15n, 2n ** 64n, -(2n ** 100n)]) {
      expect(bigintKey.decode(bigintKey.encode(key))).toBe(key)
    }
    expect(bigintKey.decode(bigintKey.encode(15))).toBe(15n)
    expect(bigintKey.decode(bigintKey.encode('15'))).toBe(15n)
  })

  it("keyCodecFor('bigint') refuses to decode a stored key that is not digits", () => {
    expectTypeError(() => bigintKey.decode('1.5'), 'keyType `bigint`', "`'1.5'` (string)")
    expectTypeError(() => bigintKey.decode('abc'), 'keyType `bigint`', "`'abc'` (string)")
  })
})

describe("keyCodecFor('json')", () => {
  it("keyCodecFor('json') writes canonical JSON: fields sorted at every depth", () => {
    const one = jsonKey.encode({ b: 1, a: [1, { d: 2, c: 3 }] })
    const other = jsonKey.encode({ a: [1, { c: 3, d: 2 }], b: 1 })
    expect(one).toBe('{"a":[1,{"c":3,"d":2}],"b":1}')
    expect(other).toBe(one)
  })

  it("keyCodecFor('json') keeps the order of array items", () => {
    expect(jsonKey.encode([1, 2])).toBe('[1,2]')
    expect(jsonKey.encode([2, 1])).toBe('[2,1]')
  })

  it("keyCodecFor('json') encodes tuples such as ['user', 15], keeping numbers and strings apart", () => {
    expect(jsonKey.encode(['user', 15])).toBe('["user",15]')
    expect(jsonKey.encode(['user', '15'])).toBe('["user","15"]')
  })

  it("keyCodecFor('json') accepts every JSON scalar as a key", () => {
    expect(jsonKey.encode('')).toBe('""')
    expect(jsonKey.encode('a')).toBe('"a"')
    expect(jsonKey.encode(0)).toBe('0')
    expect(jsonKey.encode(-0)).toBe('0')
    expect(jsonKey.encode(1.5)).toBe('1.5')
    expect(jsonKey.encode(true)).toBe('true')
    expect(jsonKey.encode(null)).toBe('null')
    expect(jsonKey.encode([])).toBe('[]')
    expect(jsonKey.encode({})).toBe('{}')
  })

  it("keyCodecFor('json') drops fields whose value is undefined, as JSON does", () => {
    expect(jsonKey.encode({ a: undefined, b: 1 })).toBe('{"b":1}')
    expect(jsonKey.encode({ a: undefined, b: 1 })).toBe(jsonKey.encode({ b: 1 }))
    expect(jsonKey.encode({ nested: { gone: undefined } })).toBe('{"nested":{}}')
  })

  it("keyCodecFor('json') accepts objects without a prototype and the same object reached twice", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { b: 2, a: 1 })
    expect(jsonKey.encode(bare)).toBe('{"a":1,"b":2}')
    const shared = { x: 1 }
    expect(jsonKey.encode({ left: shared, right: shared })).toBe('{"left":{"x":1},"right":{"x":1}}')
  })

  it("keyCodecFor('json') escapes lone surrogates, so the key stays well-formed", () => {
    const encoded = jsonKey.encode(['\uD800'])
    expect(encoded.isWellFormed()).toBe(true)
    expect(jsonKey.decode(encoded)).toEqual(['\uD800'])
  })

  it("keyCodecFor('json') refuses undefined with a TypeError naming the type 'json'", () => {
    expectTypeError(() => jsonKey.encode(undefined), 'keyType `json`', '`undefined` (undefined)')
  })

  it.each<[string, unknown, string]>([
    ['a function', () => 1, '(function)'],
    ['NaN', Number.NaN, '`NaN` (number)'],
    ['Infinity', Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    ['-Infinity', Number.NEGATIVE_INFINITY, '`-Infinity` (number)'],
    ['a Date', new Date(0), '(object)'],
    ['a Map', new Map([['a', 1]]), '`[object Map]` (object)'],
    ['a Set', new Set([1]), '`[object Set]` (object)'],
    ['a class instance', new Point(1, 2), '`[object Object]` (object)'],
    ['a bigint', 15n, '`15n` (bigint)'],
    ['a symbol', Symbol('k'), '(symbol)'],
    ['a Date nested in an object', { when: new Date(0) }, '(object)'],
    ['a bigint nested in an array', ['user', 15n], '`15n` (bigint)'],
    ['NaN nested in an object', { n: Number.NaN }, '`NaN` (number)'],
    ['a function nested in an object', { f: () => 1 }, '(function)'],
    ['undefined inside an array', [1, undefined], '`undefined` (undefined)'],
  ])("keyCodecFor('json') refuses %s with a TypeError", (_label, key, quoted) => {
    expectTypeError(() => jsonKey.encode(key), 'JSON key', quoted)
  })

  it("keyCodecFor('json') refuses keys with cycles", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expectTypeError(() => jsonKey.encode(cyclic), 'cycles')
    const list: unknown[] = []
    list.push(list)
    expectTypeError(() => jsonKey.encode(list), 'cycles')
  })

  it("keyCodecFor('json') decodes stored keys back to equal values (without the undefined fields)", () => {
    for (const key of [['user', 15], { b: 1, a: [1, { d: 2, c: 3 }] }, 'text', 15, null, true, [], {}]) {
      expect(jsonKey.decode(jsonKey.encode(key))).toEqual(key)
    }
    expect(jsonKey.decode(jsonKey.encode({ a: undefined, b: 1 }))).toStrictEqual({ b: 1 })
  })

  it("keyCodecFor('json') throws when a stored key is not JSON", () => {
    expect(() => jsonKey.decode('{')).toThrow(SyntaxError)
  })
})

describe('keyCodecFor(custom codec)', () => {
  const user: KeyCodec<{ id: number }> = {
    encode: (key) => `u${key.id}`,
    decode: (encoded) => ({ id: Number(encoded.slice(1)) }),
  }

  it('keyCodecFor() uses the encode and decode of a custom codec', () => {
    const codec = keyCodecFor(user)
    expect(codec.encode({ id: 15 })).toBe('u15')
    expect(codec.decode('u15')).toEqual({ id: 15 })
    expect(codec.decode(codec.encode({ id: 42 }))).toEqual({ id: 42 })
  })

  it('keyCodecFor() accepts a custom codec whose methods come from a class', () => {
    class Upper implements KeyCodec<string> {
      encode(key: string): string {
        return key.toUpperCase()
      }
      decode(encoded: string): string {
        return encoded.toLowerCase()
      }
    }
    const codec = keyCodecFor(new Upper())
    expect(codec.encode('abc')).toBe('ABC')
    expect(codec.decode('ABC')).toBe('abc')
  })

  it('keyCodecFor() refuses a custom encode that returns something other than a string', () => {
    const returnsNumber = { encode: (key: number) => key, decode: (raw: string) => Number(raw) }
    const codec = keyCodecFor(returnsNumber as unknown as KeyCodec<number>)
    expectTypeError(() => codec.encode(5), '`keyType.encode`', 'return a non-empty string', '`5` (number)')
    const returnsUndefined = { encode: () => undefined, decode: (raw: string) => raw }
    const other = keyCodecFor(returnsUndefined as unknown as KeyCodec<string>)
    expectTypeError(() => other.encode('a'), '`keyType.encode`', '`undefined` (undefined)')
  })

  it('keyCodecFor() refuses a custom encode that returns the empty string', () => {
    const codec = keyCodecFor<string>({ encode: () => '', decode: (raw) => raw })
    expectTypeError(
      () => codec.encode('a'),
      '`keyType.encode`',
      'non-empty string',
      "for key `'a'` (string), got `''` (string)",
    )
  })

  it('keyCodecFor() refuses a custom encode that returns lone surrogates', () => {
    const codec = keyCodecFor<string>({ encode: (key) => `${key}\uD800`, decode: (raw) => raw })
    expectTypeError(() => codec.encode('a'), 'keyType `custom`', 'lone surrogates')
  })

  it('keyCodecFor() lets an error thrown by a custom encode through unchanged', () => {
    const failure = new RangeError('no such user')
    const codec = keyCodecFor<string>({
      encode: () => {
        throw failure
      },
      decode: (raw) => raw,
    })
    expect(() => codec.encode('a')).toThrow(failure)
  })
})
