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

  it('unframe() gives one verdict on bad data: a DecodeError naming the key, never a throw', () => {
    const codec = new EntryCodec(jsonCodec, undefined, where)
    for (const bad of [
      '{oops',
      '\u0000DNOT*A*TIMEvalue',
      '\u0000\u00ffflags',
      '\u0000AZZZZZZZZZ{}',
      Buffer.from('\u0000Bgnot gzip at all'),
      '\u0000Bg{} a compressed value read as a string',
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
