import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hasHeader, readHeader, withHeader } from '../../src/entry/entry-header.js'

const big = JSON.stringify({ text: 'flipcache '.repeat(200) })

describe('entry header', () => {
  it('withHeader() leaves a value without metadata raw, as a string or as bytes', () => {
    expect(withHeader('{"id":1}')).toBe('{"id":1}')
    const bytes = Buffer.from([1, 2, 3])
    expect(withHeader(bytes)).toBe(bytes)
    expect(hasHeader('{"id":1}')).toBe(false)
    expect(hasHeader(Buffer.alloc(0))).toBe(false)
    expect(hasHeader('')).toBe(false)
  })

  it('withHeader() escapes a value whose first byte is NUL with the two-byte header NUL @', () => {
    expect(withHeader('\0abc')).toBe('\0@\0abc')
    expect([...(withHeader(Buffer.from([0, 9])) as Buffer)]).toEqual([0, 0x40, 0, 9])
    expect(readHeader('\0@\0abc')).toEqual({
      payload: '\0abc',
      freshUntil: Number.POSITIVE_INFINITY,
      expiresAt: Number.POSITIVE_INFINITY,
    })
  })

  it('withHeader() writes a fresh-until time as 9 base-36 digits after the flags byte A', () => {
    const freshUntil = Date.UTC(2026, 10, 22, 12, 0, 0)
    const framed = withHeader('"v"', freshUntil) as string
    expect(framed).toBe(`\0A${freshUntil.toString(36).padStart(9, '0')}"v"`)
    expect(framed).toHaveLength(2 + 9 + 3)
    expect(readHeader(framed)).toEqual({ payload: '"v"', freshUntil, expiresAt: Number.POSITIVE_INFINITY })
  })

  it('readHeader() reads the same header from a Buffer as from a string', () => {
    const freshUntil = 1_800_000_000_000
    const framed = withHeader(Buffer.from([0xff, 0x00]), freshUntil) as Buffer
    const stored = readHeader(framed)
    expect(stored.freshUntil).toBe(freshUntil)
    expect([...(stored.payload as Buffer)]).toEqual([0xff, 0x00])
  })

  it.each(['gzip', 'deflate', 'brotli'] as const)(
    'withHeader() compresses with %s past the threshold, flags it, and readHeader() expands it',
    (algorithm) => {
      const framed = withHeader(big, Number.POSITIVE_INFINITY, { thresholdBytes: 100, algorithm }) as Buffer
      expect(Buffer.isBuffer(framed)).toBe(true)
      expect(framed.length).toBeLessThan(big.length / 4)
      expect(framed[1]).toBe(0x40 | 0x02)
      expect(String.fromCharCode(framed[2] as number)).toBe(algorithm.charAt(0))
      expect((readHeader(framed).payload as Buffer).toString()).toBe(big)
    },
  )

  it('withHeader() leaves values at or under the threshold, and values that do not shrink, uncompressed', () => {
    const compression = { thresholdBytes: 1024, algorithm: 'gzip' } as const
    expect(withHeader('{"small":true}', Number.POSITIVE_INFINITY, compression)).toBe('{"small":true}')
    const random = randomBytes(4096)
    random[0] = 1
    expect(withHeader(random, Number.POSITIVE_INFINITY, compression)).toBe(random)
  })

  it('withHeader() puts the fresh-until time before the algorithm when a value has both', () => {
    const framed = withHeader(big, 1234, { thresholdBytes: 10, algorithm: 'deflate' }) as Buffer
    expect(framed[1]).toBe(0x40 | 0x01 | 0x02)
    expect(readHeader(framed).freshUntil).toBe(1234)
    expect((readHeader(framed).payload as Buffer).toString()).toBe(big)
  })

  it('withHeader() writes an expires-at time after the fresh-until time, with flag 0x04', () => {
    const framed = withHeader(big, 1000, { thresholdBytes: 10, algorithm: 'gzip' }, 2000) as Buffer
    expect(framed[1]).toBe(0x40 | 0x01 | 0x02 | 0x04)
    const stored = readHeader(framed)
    expect([stored.freshUntil, stored.expiresAt]).toEqual([1000, 2000])
    expect((stored.payload as Buffer).toString()).toBe(big)
    expect(readHeader(withHeader('v', Number.POSITIVE_INFINITY, undefined, 5000))).toEqual({
      payload: 'v',
      freshUntil: Number.POSITIVE_INFINITY,
      expiresAt: 5000,
    })
  })

  it('readHeader() refuses unknown flags, malformed times and corrupt compressed data', () => {
    expect(() => readHeader('\0Pxyz')).toThrow(TypeError)
    expect(() => readHeader('\0\x01abc')).toThrow(TypeError)
    expect(() => readHeader('\0A12')).toThrow(/fresh-until/)
    expect(() => readHeader('\0AZZZZZZZZZpayload')).toThrow(/fresh-until/)
    expect(() => readHeader(Buffer.from('\0Bxdata'))).toThrow(/unknown compression/)
    expect(() => readHeader(Buffer.from('\0Bgnot gzip at all'))).toThrow()
  })
})

describe('entry header times', () => {
  it('withHeader() writes a time past the year 5138 as the latest it can hold, never 10 digits', () => {
    const framed = withHeader('hello', 1.2e14) as string
    expect(framed).toBe(`\0A${(36 ** 9 - 1).toString(36)}hello`)
    expect(readHeader(framed).payload).toBe('hello')
  })
})
