import { describe, expect, it } from 'vitest'
import { resolveOptions } from '../../src/options.js'
import { PrefixedKeys } from '../../src/store/prefixed-keys.js'
import { defaultMaxKeyLength, type KeyCodec, keyCodecFor } from '../../src/types/key-type.js'
import { nestedArray } from '../support/hostile-data.js'
import { expectTypeError } from './expect-type-error.js'

const anyKey = <K>(codec: KeyCodec<K>) => codec as unknown as KeyCodec<unknown>

describe('maxKeyLength', () => {
  it('defaults to 16,384 characters; the option takes a positive integer', () => {
    expect(defaultMaxKeyLength).toBe(16_384)
    const codec = resolveOptions().keyCodec
    expect(codec.encode('k'.repeat(16_384))).toHaveLength(16_384)
    expectTypeError(() => codec.encode('k'.repeat(16_385)), 'at most 16384 characters', 'a string of 16385')
    expect(resolveOptions({ maxKeyLength: 100 }).keyCodec.encode('k'.repeat(100))).toHaveLength(100)
    for (const bad of [0, -1, 2.5, '10']) {
      expectTypeError(
        () => resolveOptions({ maxKeyLength: bad as number }),
        '`maxKeyLength` to be an integer from 1',
      )
    }
  })

  it.each(['string', 'int', 'float', 'bigint', 'json'] as const)(
    "keyType '%s' refuses a longer string before parsing it, naming the length",
    (keyType) => {
      const codec = anyKey(keyCodecFor(keyType, 10))
      expectTypeError(
        () => codec.encode('1'.repeat(11)),
        'Expected a key of at most 10 characters (`maxKeyLength`), got a string of 11',
      )
    },
  )

  it("keyType 'float' refuses 60,000 characters at once (it took 14.7 s), and parses a long one in linear time", () => {
    const started = performance.now()
    const floats = anyKey(keyCodecFor('float'))
    expectTypeError(() => floats.encode(`${'1'.repeat(59_999)}x`), 'got a string of 60000')
    const wide = anyKey(keyCodecFor('float', 200_000))
    expectTypeError(() => wide.encode(`${'1'.repeat(100_000)}x`), 'keyType `float`')
    expect(wide.encode(`${'1'.repeat(20)}.5`)).toBe(String(Number(`${'1'.repeat(20)}.5`)))
    // Linear time is well under a millisecond; the bound is generous for a loaded machine.
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it("keyType 'bigint' refuses a bigint of more digits than the limit without printing it", () => {
    const bigints = anyKey(keyCodecFor('bigint', 20))
    expect(bigints.encode(10n ** 19n)).toBe(`1${'0'.repeat(19)}`)
    expect(bigints.encode(-(10n ** 19n) + 1n)).toBe(`-${'9'.repeat(19)}`)
    // The sign counts: 20 nines and a minus are 21 characters.
    expectTypeError(() => bigints.encode(-(10n ** 20n) + 1n), 'one that encodes to 21')
    expectTypeError(() => bigints.encode(10n ** 20n), 'got a bigint of more than 20 digits')
    expectTypeError(() => bigints.encode(-(10n ** 20n)), 'got a bigint of more than 20 digits')
    const started = performance.now()
    expectTypeError(() => anyKey(keyCodecFor('bigint')).encode(1n << 4_000_000n), 'more than 16384 digits')
    expectTypeError(() => anyKey(keyCodecFor('bigint')).encode('7'.repeat(1_000_000)), 'a string of 1000000')
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('a key that encodes longer than the limit is refused, naming the encoded length', () => {
    const json = anyKey(keyCodecFor('json', 10))
    expectTypeError(() => json.encode(['abcdefgh']), 'one that encodes to 12')
    const custom = keyCodecFor<number>(
      { encode: (id) => `user-${id}`, decode: (raw) => Number(raw.slice(5)) },
      8,
    )
    expect(custom.encode(123)).toBe('user-123')
    expectTypeError(() => custom.encode(1234), 'one that encodes to 9')
  })

  it('decode() refuses a stored key longer than the limit before decoding it', () => {
    let decoded = 0
    const custom = keyCodecFor<string>(
      {
        encode: (key) => key,
        decode: (raw) => {
          decoded++
          return raw
        },
      },
      5,
    )
    expect(custom.decode('abcde')).toBe('abcde')
    expectTypeError(() => custom.decode('abcdef'), 'got a stored key of 6')
    expect(decoded).toBe(1)
  })
})

describe("keyType 'json' nesting", () => {
  it('refuses a key nested deeper than 512 with a TypeError (it threw RangeError)', () => {
    const json = anyKey(keyCodecFor('json', 1_000_000))
    expect(json.encode(nestedArray(512))).toBe(`${'['.repeat(512)}${']'.repeat(512)}`)
    expectTypeError(() => json.encode(nestedArray(513)), 'Expected a JSON key nested at most 512 deep')
    expectTypeError(() => json.encode(nestedArray(100_000)), 'nested at most 512 deep')
    expectTypeError(() => json.decode(`${'['.repeat(513)}${']'.repeat(513)}`), 'nested at most 512 deep')
  })
})

describe('PrefixedKeys', () => {
  it('of() prefixes keys short and long alike', () => {
    const keys = new PrefixedKeys('users:')
    expect(keys.of('ada')).toBe('users:ada')
    expect(keys.of('ada')).toBe('users:ada')
    const long = 'k'.repeat(100_000)
    expect(keys.of(long)).toBe(`users:${long}`)
    expect(keys.all(['a', long])).toEqual(['users:a', `users:${long}`])
  })
})
