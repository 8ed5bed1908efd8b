import { describe, expect, it } from 'vitest'
import { readHeader, withHeader } from '../../src/entry/entry-header.js'
import { checkTags, maxTagsPerEntry, readStamps, writeStamps } from '../../src/tags/tag-stamps.js'
import { TagVersions } from '../../src/tags/tag-versions.js'

describe('tag stamps in the entry header', () => {
  const stamps = [
    { tag: 'user:42', hard: 0, soft: 0 },
    { tag: 'a=b,c.d', hard: 3, soft: 12 },
    { tag: 'café ☕', hard: 9_007_199_254_740_991, soft: 1 },
  ]

  it('round-trip any tag text, percent-encoded so the section stays ASCII', () => {
    const section = writeStamps(stamps)
    expect(section).toMatch(/^[\x21-\x7e]+$/)
    expect(readStamps(section)).toEqual(stamps)
  })

  it('ride in the header with times and compression, as a string or as bytes', () => {
    const section = writeStamps(stamps)
    const framed = withHeader('{"v":1}', 1_700_000_000_000, undefined, Number.POSITIVE_INFINITY, section)
    expect((framed as string).charCodeAt(1)).toBe(0x49)
    expect(readHeader(framed)).toEqual({
      payload: '{"v":1}',
      freshUntil: 1_700_000_000_000,
      expiresAt: Number.POSITIVE_INFINITY,
      tags: stamps,
    })
    const big = 'x'.repeat(500)
    const compressed = withHeader(
      Buffer.from(big),
      undefined,
      { thresholdBytes: 10, algorithm: 'gzip' },
      undefined,
      section,
    )
    const read = readHeader(compressed)
    expect(read.tags).toEqual(stamps)
    expect(String(read.payload)).toBe(big)
    expect(readHeader(Buffer.from(framed as string, 'latin1')).tags).toEqual(stamps)
  })

  it('a malformed tag section is refused (a miss for the reader), never read as a value', () => {
    const hostile = [
      '\0H', // no length
      '\0Hzz', // short length
      '\0H00a', // length past the end
      '\0H005a=1.', // missing soft count
      '\0H004=1.0', // empty tag
      '\0H005a=x.0', // non-digit count
      '\0H006a=01.0', // leading zero
      '\0H005%zz=1', // bad percent-encoding, no counts
      `\0H${(7).toString(36).padStart(3, '0')}%E0%A4=`, // truncated UTF-8 escape
      `\0H006a=1.0\u00e9`, // non-ASCII where the section is
    ]
    for (const data of hostile) expect(() => readHeader(data), JSON.stringify(data)).toThrow(TypeError)
    const tooMany = Array.from({ length: maxTagsPerEntry + 1 }, (_, i) => `t${i}=0.0`).join(',')
    expect(() => readStamps(tooMany)).toThrow(/more than 64 tags/)
  })
})

describe('checkTags', () => {
  it('keeps distinct tags in order and refuses what is not a list of short non-empty strings', () => {
    expect(checkTags(['a', 'b', 'a'])).toEqual(['a', 'b'])
    expect(checkTags(new Set(['x']))).toEqual(['x'])
    expect(() => checkTags('abc')).toThrow(/array of tag strings, got `'abc'`/)
    expect(() => checkTags(undefined)).toThrow(TypeError)
    expect(() => checkTags([''])).toThrow(/non-empty string/)
    expect(() => checkTags([7])).toThrow(/got `7`/)
    expect(() => checkTags(['x'.repeat(129)])).toThrow(/at most 128/)
    expect(() => checkTags(Array.from({ length: 65 }, (_, i) => `t${i}`))).toThrow(/at most 64 distinct/)
    expect(
      checkTags(
        Array.from({ length: 65 }, (_, i) => `t${i}`),
        'invalidateTags',
        100,
      ),
    ).toHaveLength(65)
  })
})

describe('TagVersions', () => {
  const stamp = (hard: number, soft: number) => [{ tag: 't', hard, soft }]

  it('judges stamps against the counts it knows: current, stale (soft moved), gone (hard moved), unknown', () => {
    const versions = new TagVersions(1000)
    expect(versions.verdict(stamp(0, 0), 0)).toBeUndefined()
    versions.learn('t', { hard: 1, soft: 2 }, 0)
    expect(versions.verdict(stamp(1, 2), 10)).toBe('current')
    expect(versions.verdict(stamp(1, 1), 10)).toBe('stale')
    expect(versions.verdict(stamp(0, 2), 10)).toBe('gone')
    // A stamp newer than what is known: this instance is behind, Redis must be asked.
    expect(versions.verdict(stamp(2, 0), 10)).toBeUndefined()
    expect(versions.verdict(stamp(1, 3), 10)).toBeUndefined()
    // Gone wins over unknown, whatever the order of the tags.
    expect(versions.verdict([{ tag: 'other', hard: 0, soft: 0 }, ...stamp(0, 0)], 10)).toBe('gone')
  })

  it('never lowers a count, forgets counts past their time, and drops reads from before forget()', () => {
    const versions = new TagVersions(1000)
    versions.learn('t', { hard: 3, soft: 0 }, 0)
    versions.learn('t', { hard: 2, soft: 5 }, 0)
    expect(versions.counts('t', 10)).toMatchObject({ hard: 3, soft: 5 })
    expect(versions.counts('t', 1000)).toBeUndefined()
    const before = versions.generation
    versions.forget()
    versions.learn('t', { hard: 1, soft: 0 }, 2000, before)
    expect(versions.counts('t', 2000)).toBeUndefined()
    expect(versions.stampsOf(['t'], 2000)).toBeUndefined()
    expect(versions.stampsOf(['t'], 2000, new Map([['t', { hard: 4, soft: 1 }]]))).toEqual([
      { tag: 't', hard: 4, soft: 1 },
    ])
  })

  it('keeps nothing with a time of 0 (no L1 and no messages: counts are read for each read)', () => {
    const versions = new TagVersions(0)
    versions.learn('t', { hard: 1, soft: 0 }, 0)
    expect(versions.counts('t', 0)).toBeUndefined()
  })
})
