import superjson from 'superjson'
import { describe, expect, it } from 'vitest'
import { maxNestingDepth } from '../../src/types/nesting.js'
import { jsonCodec, superjsonCodec } from '../../src/types/structured-codecs.js'

const MiB = 1024 * 1024
const codecs = [
  ['json', jsonCodec],
  ['superjson', superjsonCodec],
] as const

/** The error `decode` throws for `text`, or undefined when it reads. */
function decodeError(decode: (text: string) => unknown, text: string): unknown {
  try {
    decode(text)
    return undefined
  } catch (error) {
    return error
  }
}

describe("reading Python's NaN, Infinity and -Infinity", () => {
  it.each(codecs)(
    '%s reads the three tokens as the numbers, at the top level and as values',
    (_name, codec) => {
      expect(codec.decode('NaN')).toBeNaN()
      expect(codec.decode('Infinity')).toBe(Number.POSITIVE_INFINITY)
      expect(codec.decode('-Infinity')).toBe(Number.NEGATIVE_INFINITY)
      expect(codec.decode(' \n NaN \t')).toBeNaN()
      expect(codec.decode('[NaN, Infinity, -Infinity, 1.5]')).toStrictEqual([
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        1.5,
      ])
      expect(codec.decode('{"a": {"b": [[NaN]], "c": -Infinity}}')).toStrictEqual({
        a: { b: [[Number.NaN]], c: Number.NEGATIVE_INFINITY },
      })
      expect(codec.decode('[\n  NaN,\n  Infinity\n]')).toStrictEqual([Number.NaN, Number.POSITIVE_INFINITY])
    },
  )

  it.each(codecs)(
    '%s leaves the words alone inside strings, escaped quotes and backslashes included',
    (_name, codec) => {
      expect(codec.decode('["NaN", "Infinity", NaN]')).toStrictEqual(['NaN', 'Infinity', Number.NaN])
      expect(codec.decode('["a\\" NaN \\"", NaN]')).toStrictEqual(['a" NaN "', Number.NaN])
      expect(codec.decode('["\\\\", NaN, "\\\\\\" -Infinity"]')).toStrictEqual([
        '\\',
        Number.NaN,
        '\\" -Infinity',
      ])
      expect(codec.decode('{"NaN": NaN, "Infinity": "Infinity"}')).toStrictEqual({
        NaN: Number.NaN,
        Infinity: 'Infinity',
      })
    },
  )

  it.each(codecs)('%s tells NaN from numbers the text holds, whatever their spelling', (_name, codec) => {
    // NaN is parsed as a number the text does not hold (5e-324, else 1e-323...), put back after the parse.
    expect(codec.decode('[5e-324, NaN, 4.9406564584124654e-324, 1e-323, 0.5, NaN, 1.5e-323]')).toStrictEqual([
      Number.MIN_VALUE,
      Number.NaN,
      Number.MIN_VALUE,
      2 * Number.MIN_VALUE,
      0.5,
      Number.NaN,
      3 * Number.MIN_VALUE,
    ])
    expect(codec.decode('{"a": [NaN, 5e-324], "b": 1e-323, "c": NaN}')).toStrictEqual({
      a: [Number.NaN, Number.MIN_VALUE],
      b: 2 * Number.MIN_VALUE,
      c: Number.NaN,
    })
    expect(codec.decode('5e-324')).toBe(Number.MIN_VALUE)
  })

  it.each(codecs)(
    '%s reads NaN into a field named __proto__ as the own field JSON.parse makes',
    (_name, codec) => {
      const read = codec.decode('{"__proto__": NaN, "x": 1}') as Record<string, unknown>
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype)
      expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toBeNaN()
    },
  )

  it.each(codecs)(
    '%s refuses what Python refuses: the tokens as keys, glued to others, lowercase, negated NaN',
    (_name, codec) => {
      for (const text of [
        '{NaN: 1}',
        '{Infinity: 1}',
        '[NaN1]',
        '[1NaN]',
        '[NaN NaN]',
        '[-NaN]',
        '[nan]',
        '[+Infinity]',
        '[--Infinity]',
        '[Infinityx]',
        '["NaN]',
        'NaN,',
        '[NaN',
        '[NaN,"a\u0000b"]',
      ]) {
        // The error is JSON.parse's own for the text as stored.
        expect(
          decodeError((raw) => codec.decode(raw), text),
          text,
        ).toBeInstanceOf(SyntaxError)
      }
    },
  )

  it.each(codecs)(
    '%s keeps the nesting limit with the tokens: %i levels read, one more is refused',
    (_name, codec) => {
      const nested = (depth: number) => `${'['.repeat(depth)}NaN${']'.repeat(depth)}`
      let read: unknown = codec.decode(nested(maxNestingDepth))
      for (let level = 0; level < maxNestingDepth; level++) read = (read as unknown[])[0]
      expect(read).toBeNaN()
      expect(() => codec.decode(nested(maxNestingDepth + 1))).toThrow(`nests deeper than ${maxNestingDepth}`)
      expect(() => codec.decode(`${'[NaN,'.repeat(200_000)}`)).toThrow(`nests deeper than ${maxNestingDepth}`)
    },
  )

  it('valid JSON never reaches the rewrite: the same text without tokens reads as JSON.parse reads it', () => {
    const text = '{"a":[1,2.5,"NaN",null,true],"b":{"c":"Infinity"}}'
    expect(jsonCodec.decode(text)).toStrictEqual(JSON.parse(text))
    expect(superjsonCodec.decode(text)).toStrictEqual(JSON.parse(text))
  })

  // Linear in the text: a quadratic rewrite of a megabyte would take minutes. The bound is for a
  // loaded 2-core machine; about 0.1 s each is typical.
  it.each(codecs)('%s reads or refuses a megabyte of hostile text in time linear in it', (_name, codec) => {
    const hostile = [
      `[${'NaN,'.repeat(250_000)}NaN]`,
      `[${'-Infinity,'.repeat(100_000)}0]`,
      `[${'NaN,'.repeat(250_000)}`,
      `${'[NaN,'.repeat(200_000)}`,
      `[NaN, "${'x'.repeat(MiB)}`,
      `[NaN, "${'\\"'.repeat(MiB / 2)}`,
      `[NaN, "${'\\'.repeat(MiB)}"]`,
      `[${'5e-324,'.repeat(150_000)}NaN]`,
      `[${Array.from({ length: 100_000 }, (_, index) => `${index + 1}e-324`).join(',')},NaN]`,
    ]
    for (const text of hostile) {
      const started = performance.now()
      decodeError((raw) => codec.decode(raw), text)
      expect(performance.now() - started).toBeLessThan(3000)
    }
    const read = codec.decode(
      `[${Array.from({ length: 100_000 }, (_, index) => `${index}.5`).join(',')},NaN]`,
    )
    expect((read as number[]).at(-1)).toBeNaN()
    expect((read as number[]).at(-2)).toBe(99_999.5)
  })
})

describe('integers beyond 2**53', () => {
  it.each(codecs)('%s reads them as the nearest number, as JSON.parse does', (_name, codec) => {
    expect(codec.decode('9007199254740993')).toBe(2 ** 53)
    expect(codec.decode('18446744073709551616')).toBe(2 ** 64)
    expect(codec.decode('[18446744073709551617]')).toStrictEqual([2 ** 64])
  })

  it('json writes them as JSON.stringify does, in 17 significant digits', () => {
    expect(jsonCodec.encode(2 ** 64)).toBe('18446744073709552000')
    expect(jsonCodec.encode(1e21)).toBe('1e+21')
  })
})

describe("superjson: Python's objects with a json field are read as themselves", () => {
  it('reads objects written with json.dumps default separators as plain objects, whatever they hold', () => {
    for (const text of [
      '{"json": 1}',
      '{"json": {"json": 1}}',
      '{"json": [1, 2], "meta": {"page": 1}}',
      '{"json": "1970-01-01T00:00:00.000Z", "meta": {"values": ["Date"], "v": 1}}',
      '{\n  "json": {\n    "json": 1\n  }\n}',
      '{"json":\t{"json": 1}}',
    ]) {
      expect(superjsonCodec.decode(text), text).toStrictEqual(JSON.parse(text))
    }
  })

  it("reads compact objects as plain unless they are flipcache's own envelope bytes", () => {
    for (const text of [
      '{"json":1}',
      '{"json":null}',
      '{"json":[{"json":1}]}',
      '{"json":{"json":1,"other":2}}',
      '{"json":1,"meta":2}',
      '{"json":1,"meta":null}',
      '{"json":1,"meta":{}}',
      '{"json":1,"meta":{"v":1}}',
      '{"json":1,"meta":{"page":1}}',
      '{"json":1,"meta":{"values":["Date"],"page":1}}',
      '{"meta":{"values":["Date"],"v":1},"json":"1970-01-01T00:00:00.000Z"}',
      ' {"json":{"json":1}}',
    ]) {
      expect(superjsonCodec.decode(text), text).toStrictEqual(JSON.parse(text))
    }
  })

  // Rolling upgrade: every byte string flipcache has written still reads as it did.
  it('reads every envelope flipcache writes, and has written, as before', () => {
    expect(superjsonCodec.decode('{"json":{"json":1}}')).toStrictEqual({ json: 1 })
    expect(superjsonCodec.decode('{"json":{"json":1,"meta":2}}')).toStrictEqual({ json: 1, meta: 2 })
    expect(superjsonCodec.decode('{"json":{"json":{"json":1}}}')).toStrictEqual({ json: { json: 1 } })
    expect(superjsonCodec.decode('{"json":"NaN","meta":{"values":["number"],"v":1}}')).toBeNaN()
    expect(
      superjsonCodec.decode('{"json":"1970-01-01T00:00:00.000Z","meta":{"values":["Date"],"v":1}}'),
    ).toStrictEqual(new Date(0))
    // superjson 1 wrote no `v`; referential equalities alone are metadata too.
    expect(superjsonCodec.decode('{"json":"5","meta":{"values":["bigint"]}}')).toBe(5n)
    const shared = superjsonCodec.decode(
      '{"json":{"a":{"x":1},"b":{"x":1}},"meta":{"referentialEqualities":{"a":["b"]},"v":1}}',
    ) as { a: unknown; b: unknown }
    expect(shared.a).toBe(shared.b)
  })

  it('writes every value as before: look-alikes inside an envelope, so that earlier releases read them too', () => {
    expect(superjsonCodec.encode({ json: 1 })).toBe('{"json":{"json":1}}')
    expect(superjsonCodec.encode({ json: [1, 2], meta: { page: 1 } })).toBe(
      '{"json":{"json":[1,2],"meta":{"page":1}}}',
    )
    expect(superjsonCodec.encode({ meta: 1, json: 2 })).toBe('{"json":{"meta":1,"json":2}}')
    expect(superjsonCodec.encode({ json: 1, other: 2 })).toBe('{"json":1,"other":2}')
    expect(superjsonCodec.encode(Number.NaN)).toBe(JSON.stringify(superjson.serialize(Number.NaN)))
  })

  it('round-trips every look-alike it writes, nested ones included', () => {
    for (const value of [
      { json: 1 },
      { json: { json: 1 } },
      { json: { json: { json: 1 } } },
      { json: 1, meta: { values: ['Date'], v: 1 } },
      { meta: 1, json: 2 },
      { json: Number.NaN, meta: new Date(0) },
    ]) {
      expect(superjsonCodec.decode(superjsonCodec.encode(value) as string)).toStrictEqual(value)
    }
  })
})
