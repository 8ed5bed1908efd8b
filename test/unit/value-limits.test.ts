import { createBrotliDecompress, deflateSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { lengthPast, longestHeader, readHeader, withHeader } from '../../src/entry/entry-header.js'
import { defaultMaxValueBytes } from '../../src/entry/limits.js'
import { DecodeError, ValueTooLargeError } from '../../src/errors.js'
import { resolveOptions } from '../../src/options.js'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { bytesCodec, floatCodec, stringCodec } from '../../src/types/scalar-codecs.js'
import { jsonCodec, superjsonCodec } from '../../src/types/structured-codecs.js'
import type { ValueCodec } from '../../src/types/value-codec.js'
import { valueCodecFor } from '../../src/types/value-type.js'
import {
  brotliBomb1GiB,
  brotliBomb1GiBExpanded,
  invalidUtf8,
  markedCompressed,
} from '../support/hostile-data.js'
import { expectTypeError } from './expect-type-error.js'

const KiB = 1024
const MiB = 1024 * KiB
const where = (key: string): string => `cache:${key}`

/** The error `unframe` gives for `raw`, failing the test when it decodes. */
function decodeError<V>(codec: EntryCodec<V>, raw: string | Buffer): DecodeError {
  const result = codec.unframe('k', raw)
  expect(result).toBeInstanceOf(DecodeError)
  return result as DecodeError
}

function causeOf(error: DecodeError): Error {
  expect(error.cause).toBeInstanceOf(Error)
  return error.cause as Error
}

describe('maxValueBytes on write', () => {
  it('encode() refuses an encoding longer than maxValueBytes with E_TOO_LARGE naming both sizes', () => {
    const codec = new EntryCodec(stringCodec, undefined, where, 1000)
    expect(codec.encode('k', 'x'.repeat(1000))).toHaveLength(1000)
    let thrown: unknown
    try {
      codec.encode('big', 'x'.repeat(1001))
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ValueTooLargeError)
    expect(thrown).toMatchObject({ code: 'E_TOO_LARGE', key: 'cache:big', bytes: 1001, maxBytes: 1000 })
    expect((thrown as Error).message).toBe(
      'The value for Redis key `cache:big` encodes to 1001 bytes, more than `maxValueBytes` (1000)',
    )
  })

  it('encode() counts UTF-8 bytes, not characters, and the encoding rather than the value', () => {
    const codec = new EntryCodec(stringCodec, undefined, where, 1000)
    // 500 two-byte characters fit exactly; one more ASCII character does not.
    expect(codec.encode('k', 'é'.repeat(500))).toBe('é'.repeat(500))
    expect(() => codec.encode('k', `${'é'.repeat(500)}x`)).toThrow(/encodes to 1001 bytes/)
    // JSON adds its quotes: 998 characters encode to exactly 1000 bytes.
    const json = new EntryCodec(jsonCodec, undefined, where, 1000)
    expect(json.encode('k', 'x'.repeat(998))).toHaveLength(1000)
    expect(() => json.encode('k', 'x'.repeat(999))).toThrow(ValueTooLargeError)
    const bytes = new EntryCodec(bytesCodec, undefined, where, 1000)
    expect(() => bytes.encode('k', Buffer.alloc(1001))).toThrow(/1001 bytes/)
  })

  it('encode() bounds the encoding before compression, however well it compresses', () => {
    const codec = new EntryCodec(stringCodec, { thresholdBytes: 10, algorithm: 'gzip' }, where, 1000)
    expect(() => codec.encode('k', ' '.repeat(2000))).toThrow(ValueTooLargeError)
    const framed = codec.frame(codec.encode('k', ' '.repeat(1000)))
    expect((framed as Buffer).length).toBeLessThan(100)
    expect(codec.unframe('k', framed)).toMatchObject({ value: ' '.repeat(1000) })
  })

  it('lengthPast() measures a string only when its length leaves the answer open', () => {
    expect(lengthPast('x'.repeat(300), 900)).toBeUndefined()
    expect(lengthPast('x'.repeat(901), 900)).toBe(901)
    expect(lengthPast('€'.repeat(300), 900)).toBeUndefined()
    expect(lengthPast('€'.repeat(301), 900)).toBe(903)
    expect(lengthPast(Buffer.alloc(901), 900)).toBe(901)
  })

  it('defaults to 1 MiB, and the option takes an integer from 1 to 512 MiB', () => {
    expect(defaultMaxValueBytes).toBe(MiB)
    expect(resolveOptions().maxValueBytes).toBe(MiB)
    expect(resolveOptions({ maxValueBytes: 1 }).maxValueBytes).toBe(1)
    expect(resolveOptions({ maxValueBytes: 512 * MiB }).maxValueBytes).toBe(512 * MiB)
    for (const [bad, quoted] of [
      [0, '`0` (number)'],
      [512 * MiB + 1, '`536870913` (number)'],
      [1.5, '`1.5` (number)'],
      ['1mb', "`'1mb'` (string)"],
    ] as const) {
      expectTypeError(
        () => resolveOptions({ maxValueBytes: bad as number }),
        '`maxValueBytes` to be an integer from 1 to 536870912',
        quoted,
      )
    }
  })
})

describe('maxValueBytes on read', () => {
  it('unframe() refuses stored data longer than maxValueBytes before decoding it', () => {
    const codec = new EntryCodec(bytesCodec, undefined, where, 1000)
    expect(codec.unframe('k', Buffer.alloc(1000, 1))).toMatchObject({ value: Buffer.alloc(1000, 1) })
    const error = decodeError(codec, Buffer.alloc(1001, 1))
    expect(error).toMatchObject({ code: 'E_DECODE', key: 'cache:k' })
    expect(causeOf(error).message).toBe('Stored data is 1001 bytes long, more than `maxValueBytes` (1000)')
    // A header does not count; what follows it does.
    const headed = withHeader(Buffer.alloc(1000, 1), 1234) as Buffer
    expect(headed.length).toBeGreaterThan(1000)
    expect(headed.length).toBeLessThanOrEqual(1000 + longestHeader)
    expect(codec.unframe('k', headed)).toMatchObject({ freshUntil: 1234 })
    decodeError(codec, withHeader(Buffer.alloc(1001, 1), 1234))
  })

  it.each([
    ['gzip', 'g', gzipSync],
    ['deflate', 'd', deflateSync],
  ] as const)('readHeader() stops expanding a %s bomb at maxBytes and says so', (_name, id, compress) => {
    const bomb = markedCompressed(id, compress(Buffer.alloc(64 * MiB, 0x20)))
    expect(bomb.length).toBeLessThan(100 * KiB)
    expect(() => readHeader(bomb, MiB)).toThrow(
      'Stored data expands to more than `maxValueBytes` (1048576 bytes); expansion was stopped there',
    )
    // Exactly at the bound, it expands.
    const fits = markedCompressed(id, compress(Buffer.alloc(MiB, 0x20)))
    expect((readHeader(fits, MiB).payload as Buffer).length).toBe(MiB)
  })

  it('readHeader() stops the 1,681-byte brotli bomb at maxBytes: zlib gave up with ERR_BUFFER_TOO_LARGE', () => {
    let thrown: unknown
    try {
      readHeader(markedCompressed('b', brotliBomb1GiB), MiB)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect((thrown as Error).cause).toMatchObject({ code: 'ERR_BUFFER_TOO_LARGE' })
  })

  it('the brotli bomb of the fixtures expands to 1 GiB (counted while streaming, never held)', async () => {
    let expanded = 0
    // 1 MiB chunks: a third of the time 16 KiB ones take.
    const stream = createBrotliDecompress({ chunkSize: MiB })
    stream.end(brotliBomb1GiB)
    for await (const chunk of stream) expanded += (chunk as Buffer).length
    expect(expanded).toBe(brotliBomb1GiBExpanded)
  }, 60_000)

  it('unframe() reads compressed data with or without compress configured, bounded either way', () => {
    const framed = new EntryCodec(jsonCodec, { thresholdBytes: 10, algorithm: 'brotli' }, where).frame(
      JSON.stringify({ text: 'flipcache '.repeat(100) }),
    )
    for (const codec of [jsonCodec, superjsonCodec] as ValueCodec<unknown>[]) {
      expect(new EntryCodec(codec, undefined, where).unframe('k', framed)).toMatchObject({
        value: { text: 'flipcache '.repeat(100) },
      })
    }
    const bomb = markedCompressed('b', brotliBomb1GiB)
    for (const codec of [jsonCodec, msgpackCodec, bytesCodec] as ValueCodec<unknown>[]) {
      const error = decodeError(new EntryCodec(codec, undefined, where), bomb)
      expect(causeOf(error).message).toMatch(/expands to more than `maxValueBytes` \(1048576 bytes\)/)
    }
  })

  it('unframe() refuses compressed data that is itself longer than maxValueBytes, before expanding it', () => {
    const codec = new EntryCodec(bytesCodec, undefined, where, 1000)
    const error = decodeError(codec, markedCompressed('g', Buffer.alloc(1001)))
    expect(causeOf(error).message).toMatch(/1001 bytes long/)
  })
})

describe('UTF-8', () => {
  it.each<[string, ValueCodec<unknown>]>([
    ['string', stringCodec as ValueCodec<unknown>],
    ['json', jsonCodec],
    ['superjson', superjsonCodec],
    ['float', floatCodec as ValueCodec<unknown>],
    [
      "custom with valueDecoderInput 'string'",
      valueCodecFor<unknown>('custom', { encoder: String, decoder: (raw) => raw, decodeBytes: false }),
    ],
  ])('unframe() refuses bytes that are not UTF-8 for %s, instead of reading U+FFFD', (_name, values) => {
    const codec = new EntryCodec(values, undefined, where)
    for (const bad of [invalidUtf8, Buffer.from('"\xed\xa0\x80"', 'latin1'), Buffer.from([0x31, 0xc3])]) {
      const error = decodeError(codec, bad)
      expect(causeOf(error).message).toBe('Stored data is not valid UTF-8')
    }
  })

  it('unframe() hands bytes that are not UTF-8 as they are to the byte codecs', () => {
    expect(new EntryCodec(bytesCodec, undefined, where).unframe('k', invalidUtf8)).toMatchObject({
      value: invalidUtf8,
    })
    const custom = valueCodecFor<Buffer>('custom', {
      encoder: (value) => value,
      decoder: (raw) => raw as unknown as Buffer,
      decodeBytes: true,
    })
    expect(new EntryCodec(custom, undefined, where).unframe('k', invalidUtf8)).toMatchObject({
      value: invalidUtf8,
    })
  })

  it('unframe() reads well-formed UTF-8 of every length, astral characters included', () => {
    const codec = new EntryCodec(stringCodec, undefined, where)
    for (const text of ['', 'a', 'é', '€', '😀', 'mixed é € 😀 text'.repeat(100)]) {
      expect(codec.unframe('k', Buffer.from(text))).toMatchObject({ value: text })
    }
  })

  it("the 'string' codec refuses lone surrogates, which Redis would store as U+FFFD", () => {
    for (const text of ['\uD800', 'a\uDC00b', '😀'.slice(0, 1)]) {
      expectTypeError(() => stringCodec.encode(text), 'valueType `string`', 'lone surrogates')
    }
    expect(stringCodec.encode('😀')).toBe('😀')
  })
})

describe("'float' values", () => {
  it('decode() refuses 100,000 digits followed by a letter at once (the old pattern backtracked for 36 s)', () => {
    const started = performance.now()
    expect(() => floatCodec.decode(`${'1'.repeat(100_000)}x`)).toThrow(TypeError)
    expect(() => floatCodec.decode(`${'1'.repeat(50_000)}.${'2'.repeat(50_000)}e`)).toThrow(TypeError)
    // A generous bound for a loaded machine: linear time takes well under a millisecond here.
    expect(performance.now() - started).toBeLessThan(1000)
    expect(floatCodec.decode('1'.repeat(400))).toBe(Number('1'.repeat(400)))
    expect(floatCodec.decode('12.')).toBe(12)
    expect(floatCodec.decode('.5e-3')).toBe(0.0005)
  })
})
