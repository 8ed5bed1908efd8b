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

  it('withHeader() leaves a value whose first byte is NUL raw unless a flags byte follows', () => {
    expect(withHeader('\0abc')).toBe('\0abc')
    expect(withHeader('\0')).toBe('\0')
    const zero = Buffer.from([0])
    expect(withHeader(zero)).toBe(zero)
    expect(hasHeader('\0abc')).toBe(false)
    expect(hasHeader(zero)).toBe(false)
  })

  it('withHeader() escapes a value that starts with NUL and a flags byte with the two-byte header NUL @', () => {
    expect(withHeader('\0@abc')).toBe('\0@\0@abc')
    expect([...(withHeader(Buffer.from([0, 0x47, 9])) as Buffer)]).toEqual([0, 0x40, 0, 0x47, 9])
    expect(readHeader('\0@\0@abc')).toEqual({
      payload: '\0@abc',
      freshUntil: Number.POSITIVE_INFINITY,
      expiresAt: Number.POSITIVE_INFINITY,
    })
  })

  it('readHeader() still reads a NUL-led value escaped the way earlier versions stored every one', () => {
    expect(hasHeader('\0@\0abc')).toBe(true)
    expect(readHeader('\0@\0abc').payload).toBe('\0abc')
    expect([...(readHeader(Buffer.from([0, 0x40, 0])).payload as Buffer)]).toEqual([0])
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
    expect(hasHeader('\0Pxyz')).toBe(false)
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

describe('which data has a header', () => {
  const infinite = Number.POSITIVE_INFINITY
  const at = 1_800_000_000_000
  const digits = at.toString(36).padStart(9, '0')

  it('empty data, NUL alone and NUL with anything but a flags byte are raw, as a string or as bytes', () => {
    const raw = ['', '\0', '\0\0', '\0?', '\0P', '\0abc', '\0\x7f', '\0\u00e9', '\0\ufffd']
    for (const text of raw) {
      expect(hasHeader(text), JSON.stringify(text)).toBe(false)
      expect(withHeader(text)).toBe(text)
    }
    for (const bytes of [[], [0], [0, 0], [0, 0x3f], [0, 0x50], [0, 0xc3, 0xa9], [0, 0xff], [0x40, 0]]) {
      const data = Buffer.from(bytes)
      expect(hasHeader(data), JSON.stringify(bytes)).toBe(false)
      expect(withHeader(data)).toBe(data)
    }
  })

  it.each([0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x4f])(
    'NUL and the flags byte %i start a header, as a string or as bytes, and such a value is escaped',
    (flags) => {
      const text = `\0${String.fromCharCode(flags)}rest`
      expect(hasHeader(text)).toBe(true)
      expect(hasHeader(Buffer.from(text, 'latin1'))).toBe(true)
      expect(withHeader(text)).toBe(`\0@${text}`)
      expect(readHeader(withHeader(text)).payload).toBe(text)
      const bytes = Buffer.from(text, 'latin1')
      expect(readHeader(withHeader(bytes)).payload).toEqual(bytes)
    },
  )

  it('NUL @ alone is an empty value with no metadata; with times it reads them', () => {
    expect(readHeader('\0@')).toEqual({ payload: '', freshUntil: infinite, expiresAt: infinite })
    expect(withHeader('\0@')).toBe('\0@\0@')
    expect(readHeader(`\0A${digits}`)).toEqual({ payload: '', freshUntil: at, expiresAt: infinite })
    expect(readHeader(`\0E${digits}${digits}v`)).toEqual({ payload: 'v', freshUntil: at, expiresAt: at })
    expect(readHeader(Buffer.from(`\0D${digits}v`)).expiresAt).toBe(at)
    expect(withHeader('\0A', at)).toBe(`\0A${digits}\0A`)
    expect(readHeader(withHeader('\0A', at)).payload).toBe('\0A')
  })

  it('a flags byte followed by malformed times or algorithm is refused, never read as a raw value', () => {
    for (const hostile of ['\0A', '\0Anot-a-time', '\0D12', '\0Bx', '\0Cxyz', '\0F', '\0G']) {
      expect(hasHeader(hostile)).toBe(true)
      expect(() => readHeader(hostile), JSON.stringify(hostile)).toThrow(TypeError)
    }
  })
})
