import { describe, expect, it } from 'vitest'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { withHeader } from '../../src/entry/entry-header.js'
import { DecodeError, EncodeError } from '../../src/errors.js'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { stringCodec } from '../../src/types/scalar-codecs.js'
import { jsonCodec } from '../../src/types/structured-codecs.js'
import type { ValueCodec } from '../../src/types/value-codec.js'

const never = Number.POSITIVE_INFINITY
const where = (key: string): string => `cache:${key}`
const big = JSON.stringify({ text: 'flipcache '.repeat(200) })

describe('EntryCodec', () => {
  it('unframe() reads raw, headed and compressed data alike, for string and byte codecs', () => {
    const json = new EntryCodec(jsonCodec, undefined, where)
    expect(json.unframe('k', '{"a":1}')).toEqual({ value: { a: 1 }, freshUntil: never, expiresAt: never })
    expect(json.unframe('k', withHeader('{"a":1}', 1234, undefined, 5678))).toEqual({
      value: { a: 1 },
      freshUntil: 1234,
      expiresAt: 5678,
    })
    const gzip = new EntryCodec(jsonCodec, { thresholdBytes: 10, algorithm: 'gzip' }, where)
    const framed = gzip.frame(big)
    expect(Buffer.isBuffer(framed)).toBe(true)
    expect(gzip.unframe('k', framed)).toMatchObject({ value: JSON.parse(big) })
    const brotli = new EntryCodec(msgpackCodec, { thresholdBytes: 10, algorithm: 'brotli' }, where)
    const list = { list: Array.from({ length: 500 }, () => 'same') }
    expect(brotli.unframe('k', brotli.frame(msgpackCodec.encode(list)))).toMatchObject({ value: list })
  })

  it('frame() leaves a value without times raw, and frames times into the header unframe() reads', () => {
    const codec = new EntryCodec(stringCodec, undefined, where)
    expect(codec.frame('plain')).toBe('plain')
    expect(codec.frame('plain', { freshUntil: never, expiresAt: never })).toBe('plain')
    const framed = codec.frame('timed', { freshUntil: 1_000, expiresAt: 2_000 })
    expect(codec.unframe('k', framed)).toEqual({ value: 'timed', freshUntil: 1_000, expiresAt: 2_000 })
  })

  it('frame() stores a value without metadata as exactly the codec bytes, NUL-led ones included', () => {
    const msgpack = new EntryCodec(msgpackCodec, undefined, where)
    const zero = msgpack.frame(msgpack.encode('k', 0))
    expect([...(zero as Buffer)]).toEqual([0])
    expect(msgpack.unframe('k', Buffer.from([0]))).toEqual({ value: 0, freshUntil: never, expiresAt: never })
    const strings = new EntryCodec(stringCodec, undefined, where)
    for (const text of ['', '\0', '\0abc', '\0\0', '\0\u00e9t\u00e9']) {
      expect(strings.frame(strings.encode('k', text))).toBe(text)
      expect(strings.unframe('k', Buffer.from(text))).toEqual({
        value: text,
        freshUntil: never,
        expiresAt: never,
      })
    }
    for (const text of ['\0@', '\0Aabc', '\0G']) {
      const framed = strings.frame(text)
      expect(framed).toBe(`\0@${text}`)
      expect(strings.unframe('k', Buffer.from(framed as string))).toMatchObject({ value: text })
    }
  })

  it('frame() gives a timed or hash-bucket value its header, NUL-led values too, and unframe() reads it', () => {
    const msgpack = new EntryCodec(msgpackCodec, undefined, where)
    const framed = msgpack.frame(msgpack.encode('k', 0), { expiresAt: 2_000 }) as Buffer
    expect(framed.subarray(0, 2).toString('latin1')).toBe('\0D')
    expect(msgpack.unframe('k', framed)).toEqual({ value: 0, freshUntil: never, expiresAt: 2_000 })
    const strings = new EntryCodec(stringCodec, undefined, where)
    const timed = strings.frame('\0abc', { freshUntil: 1_000 })
    expect(strings.unframe('k', Buffer.from(timed as string))).toEqual({
      value: '\0abc',
      freshUntil: 1_000,
      expiresAt: never,
    })
  })

  it('unframe() gives one verdict on bad data: a DecodeError naming the key, never a throw', () => {
    const codec = new EntryCodec(jsonCodec, undefined, where)
    for (const bad of [
      '{oops',
      '\u0000DNOT*A*TIMEvalue',
      '\u0000\u00ffflags',
      '\u0000AZZZZZZZZZ{}',
      Buffer.from('\u0000Bgnot gzip at all'),
      '\u0000Bg{} a compressed value read as a string',
      '\u0000@{oops',
      '\u0000Fnot a time',
      Buffer.from([0, 0x47]),
    ]) {
      const result = codec.unframe('k', bad)
      expect(result, JSON.stringify(String(bad))).toBeInstanceOf(DecodeError)
      expect(result).toMatchObject({ code: 'E_DECODE', key: 'cache:k' })
    }
  })

  it('encode() passes a misfit through as a TypeError and wraps a custom encoder failure as E_ENCODE', () => {
    const codec = new EntryCodec(stringCodec, undefined, where)
    expect(() => codec.encode('k', 42 as unknown as string)).toThrow(TypeError)
    const failing: ValueCodec<string> = {
      reply: 'string',
      encode: () => {
        throw new Error('custom encoder broke')
      },
      decode: (raw) => String(raw),
    }
    const custom = new EntryCodec(failing, undefined, where)
    expect(() => custom.encode('k', 'v')).toThrow(EncodeError)
  })

  it('copyOf() is what a read of the encoded value returns, never the caller object', () => {
    const codec = new EntryCodec(jsonCodec, undefined, where)
    const value = { nested: { n: 1 } }
    const copy = codec.copyOf(codec.encode('k', value))
    expect(copy).toEqual(value)
    expect(copy).not.toBe(value)
  })
})
