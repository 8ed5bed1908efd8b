import { describe, expect, it } from 'vitest'
import { afterHeader, decodeStored, hasHeader, readHeader, withHeader } from '../../src/types/entry-header.js'

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
    const header = readHeader('\0@\0abc')
    expect(header).toEqual({ freshUntil: Number.POSITIVE_INFINITY, start: 2 })
    expect(afterHeader('\0@\0abc', header.start)).toBe('\0abc')
  })

  it('withHeader() writes a fresh-until time as 9 base-36 digits after the flags byte A', () => {
    const freshUntil = Date.UTC(2026, 10, 22, 12, 0, 0)
    const framed = withHeader('"v"', freshUntil) as string
    expect(framed).toBe(`\0A${freshUntil.toString(36).padStart(9, '0')}"v"`)
    expect(framed).toHaveLength(2 + 9 + 3)
    expect(readHeader(framed)).toEqual({ freshUntil, start: 11 })
  })

  it('readHeader() reads the same header from a Buffer as from a string', () => {
    const freshUntil = 1_800_000_000_000
    const framed = withHeader(Buffer.from([0xff, 0x00]), freshUntil) as Buffer
    const header = readHeader(framed)
    expect(header.freshUntil).toBe(freshUntil)
    expect([...(afterHeader(framed, header.start) as Buffer)]).toEqual([0xff, 0x00])
  })

  it('readHeader() refuses unknown flags and malformed times, so foreign NUL-led data is a decode error', () => {
    expect(() => readHeader('\0Bxyz')).toThrow(TypeError)
    expect(() => readHeader('\0\x01abc')).toThrow(TypeError)
    expect(() => readHeader('\0A12')).toThrow(/fresh-until/)
    expect(() => readHeader('\0AZZZZZZZZZpayload')).toThrow(/fresh-until/)
  })

  it('decodeStored() decodes raw and headed data alike and says when the value turns stale', () => {
    const decode = (raw: string | Buffer) => JSON.parse(String(raw)) as unknown
    expect(decodeStored(decode, '{"a":1}')).toEqual({ value: { a: 1 }, freshUntil: Number.POSITIVE_INFINITY })
    expect(decodeStored(decode, withHeader('{"a":1}', 1234))).toEqual({ value: { a: 1 }, freshUntil: 1234 })
  })
})
