import { describe, expect, it } from 'vitest'
import { checkLoadFits } from '../../src/bucket-options.js'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import type { FlipCacheOptions } from '../../src/index.js'
import { resolveLoad } from '../../src/loading/load-options.js'
import { resolveOptions } from '../../src/options.js'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { expectTypeError } from './expect-type-error.js'

/** Options of any shape, to check what resolveOptions() refuses without fighting the types. */
function resolveAnything(options: unknown) {
  return resolveOptions(options as FlipCacheOptions<unknown, unknown>)
}

const tuples = {
  keyType: 'json',
  storage: { kind: 'hash', bucket: ([bucket, field]: [string, string]) => [bucket, field] },
}

/** The tuple layout with `naming` added to its storage option, and `extra` options. */
function dogpile(naming: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return resolveAnything({ ...tuples, storage: { ...tuples.storage, ...naming }, ...extra })
}

describe('storage.bucketPrefix and storage.entryExpiry', () => {
  it("resolve to the cache's own name:b: and expiry by field TTL or header ('auto') by default", () => {
    const { buckets } = dogpile({})
    expect(buckets?.prefix).toBeUndefined()
    expect(buckets?.expiry).toBe('auto')
    expect(buckets?.expire).toBe('always')
  })

  it("take any bucket prefix, '' included, and 'bucket' expiry, on either hash layout", () => {
    const bare = dogpile({ bucketPrefix: '', entryExpiry: 'bucket' }, { bucketExpire: 'on-create' })
    expect(bare.buckets).toMatchObject({ prefix: '', expiry: 'bucket', expire: 'on-create' })
    const sized = resolveAnything({
      keyType: 'int',
      storage: { kind: 'hash', bucketSize: 10, bucketPrefix: 'user-', entryExpiry: 'bucket' },
    })
    expect(sized.buckets).toMatchObject({ prefix: 'user-', expiry: 'bucket' })
    expect(sized.buckets?.layout.place('153')).toEqual(['15', '3'])
  })

  it('refuse a bucket prefix that is not a string, naming it', () => {
    expectTypeError(() => dogpile({ bucketPrefix: 15 }), '`storage.bucketPrefix`', '15')
    expectTypeError(() => dogpile({ bucketPrefix: null }), '`storage.bucketPrefix`', 'null')
  })

  it('refuse an entry expiry other than auto, header or bucket, naming it', () => {
    expectTypeError(() => dogpile({ entryExpiry: 'field' }), '`storage.entryExpiry`', "'field'")
    expectTypeError(() => dogpile({ entryExpiry: true }), '`storage.entryExpiry`', 'true')
  })

  it('refuse hashTag with a bucket prefix of your own, naming the prefix', () => {
    expectTypeError(() => dogpile({ bucketPrefix: 'user-' }, { hashTag: true }), 'hashTag', "'user-'")
    expect(dogpile({ bucketPrefix: '{users}:' }).buckets?.prefix).toBe('{users}:')
  })

  it("refuse sync 'tracking' with bucketPrefix '' (every key of the database), not with a prefix", () => {
    expectTypeError(
      () => dogpile({ bucketPrefix: '' }, { sync: 'tracking' }),
      "`sync: 'tracking'`",
      "bucketPrefix: ''",
    )
    expect(dogpile({ bucketPrefix: 'user-' }, { sync: 'tracking' }).sync).toBe('tracking')
  })

  it("refuse compress, grace and refreshAhead with entryExpiry 'bucket': each needs a header", () => {
    const bucket = { entryExpiry: 'bucket' }
    expectTypeError(() => dogpile(bucket, { compress: { threshold: 100 } }), '`compress`', "'bucket'")
    expectTypeError(() => dogpile(bucket, { expireTime: '1m', grace: '10s' }), '`grace`', "'bucket'")
    expectTypeError(() => dogpile(bucket, { expireTime: '1m', refreshAhead: 0.5 }), '`refreshAhead`')
    expect(
      dogpile({}, { compress: { threshold: 100 }, expireTime: '1m', grace: '10s' }).compression,
    ).toBeDefined()
  })

  it("refuse one getOrSet call's grace or refreshAhead with entryExpiry 'bucket'", () => {
    const resolved = dogpile({ entryExpiry: 'bucket' }, { expireTime: '1m' })
    expectTypeError(
      () => checkLoadFits(resolved.buckets, resolveLoad({ grace: '5s' }, resolved.load)),
      '`grace`',
    )
    expectTypeError(
      () => checkLoadFits(resolved.buckets, resolveLoad({ refreshAhead: 0.8 }, resolved.load)),
      '`refreshAhead`',
    )
    expect(() => checkLoadFits(resolved.buckets, resolveLoad({ timeout: '1s' }, resolved.load))).not.toThrow()
    const headers = dogpile({}, { expireTime: '1m' })
    expect(() => checkLoadFits(headers.buckets, resolveLoad({ grace: '5s' }, headers.load))).not.toThrow()
  })
})

describe("EntryCodec without headers (entryExpiry 'bucket')", () => {
  const bare = new EntryCodec(msgpackCodec, undefined, (key) => `user-15[${key}]`, 1024, false)
  const framed = new EntryCodec(msgpackCodec, undefined, (key) => `user-15[${key}]`, 1024)

  it("stores the codec's bytes exactly, NUL first included, and reads them back so", () => {
    const zero = bare.encode('n', 0)
    expect(zero).toEqual(Buffer.from([0x00]))
    expect(bare.frame(zero)).toBe(zero)
    expect(bare.unframe('n', Buffer.from([0x00]))).toMatchObject({ value: 0, expiresAt: Infinity })
    // With headers, NUL alone is a raw value too: only NUL followed by a flags byte starts a header.
    expect(framed.unframe('n', Buffer.from([0x00]))).toMatchObject({ value: 0, expiresAt: Infinity })
    const expiring = framed.frame(zero, { expiresAt: 5_000 })
    expect(expiring).not.toEqual(zero)
    expect(framed.unframe('n', expiring)).toMatchObject({ value: 0, expiresAt: 5_000 })
  })

  it('refuses to frame a time it has no header for', () => {
    expectTypeError(() => bare.frame(Buffer.from([0xc3]), { freshUntil: 1 }), 'without a header')
    expectTypeError(() => bare.frame(Buffer.from([0xc3]), { expiresAt: 1 }), 'without a header')
  })

  it('still bounds what it reads by maxValueBytes', () => {
    expect(bare.unframe('big', Buffer.alloc(2048, 0xc0))).toBeInstanceOf(Error)
  })
})
