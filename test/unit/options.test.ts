import { describe, expect, it } from 'vitest'
import { parseExpireTime } from '../../src/expire/option-values.js'
import { expire, FlipCache, type FlipCacheOptions } from '../../src/index.js'
import { checkApartFromLocks, checkName, keyPrefixOf, resolveOptions } from '../../src/options.js'
import { expectTypeError } from './expect-type-error.js'

/** Options of any shape, to check what resolveOptions() refuses without fighting the types. */
function resolveAnything(options: unknown) {
  return resolveOptions(options as FlipCacheOptions<unknown, unknown>)
}

describe('resolveOptions defaults', () => {
  it('resolveOptions() fills in every default when given no options', () => {
    const resolved = resolveOptions()
    expect(resolved.redis).toBeUndefined()
    expect(resolved.localMax).toBe(1000)
    expect(resolved.localTtlMs).toBe(60_000)
    expect(resolved.expireMs).toBeNull()
    expect(resolved.sliding).toBe(false)
    expect(resolved.timeoutMs).toBe(1000)
    expect(resolved.valueDefault).toBeUndefined()
  })

  it('resolveOptions() gives the same defaults for {} and for options left undefined', () => {
    const explicit = resolveOptions({
      redis: undefined,
      localMax: undefined,
      localTtl: undefined,
      expireTime: undefined,
      keyType: undefined,
      valueType: undefined,
      refreshExpireTimeOnGet: undefined,
      timeout: undefined,
    })
    const { keyCodec: _k, valueCodec: _v, ...rest } = explicit
    const { keyCodec: _k2, valueCodec: _v2, ...defaults } = resolveOptions({})
    expect(rest).toEqual(defaults)
  })

  it("resolveOptions() uses keyType 'string' by default", () => {
    const { keyCodec } = resolveOptions<unknown, unknown>({})
    expect(keyCodec.encode('user:15')).toBe('user:15')
    expectTypeError(() => keyCodec.encode(15), 'keyType `string`')
  })

  it("resolveOptions() uses valueType 'superjson' by default", () => {
    const { valueCodec } = resolveOptions<string, unknown>({})
    expect(valueCodec.reply).toBe('string')
    expect(valueCodec.encode({ id: 1 })).toBe('{"id":1}')
    expect(valueCodec.decode(valueCodec.encode(new Map([[1, new Date(0)]])))).toEqual(
      new Map([[1, new Date(0)]]),
    )
  })

  it('resolveOptions() defaults localTtl to expireTime when there is one', () => {
    expect(resolveOptions({ expireTime: '5m' }).localTtlMs).toBe(300_000)
    expect(resolveOptions({ expireTime: 1_500 }).localTtlMs).toBe(1_500)
    expect(resolveOptions({ expireTime: expire.ONE_DAY }).localTtlMs).toBe(expire.ONE_DAY)
  })

  it('resolveOptions() defaults localTtl to 60 s when expireTime is null', () => {
    const resolved = resolveOptions({ expireTime: null })
    expect(resolved.expireMs).toBeNull()
    expect(resolved.localTtlMs).toBe(60_000)
  })

  it('resolveOptions() keeps an explicit localTtl over the expireTime default', () => {
    const resolved = resolveOptions({ expireTime: '1h', localTtl: '10s' })
    expect(resolved.expireMs).toBe(3_600_000)
    expect(resolved.localTtlMs).toBe(10_000)
  })
})

describe('resolveOptions values', () => {
  it('resolveOptions() reads durations as milliseconds, duration strings and expire presets', () => {
    expect(resolveOptions({ expireTime: 2_000 }).expireMs).toBe(2_000)
    expect(resolveOptions({ expireTime: '3d' }).expireMs).toBe(3 * 86_400_000)
    expect(resolveOptions({ expireTime: '1h30m' }).expireMs).toBe(5_400_000)
    expect(resolveOptions({ expireTime: expire.ONE_MONTH }).expireMs).toBe(30 * 86_400_000)
    expect(resolveOptions({ localTtl: '1.5s' }).localTtlMs).toBe(1_500)
    expect(resolveOptions({ localTtl: expire.FIVE_MINUTES }).localTtlMs).toBe(300_000)
    expect(resolveOptions({ timeout: '2s' }).timeoutMs).toBe(2_000)
    expect(resolveOptions({ timeout: 250 }).timeoutMs).toBe(250)
    expect(resolveOptions({ timeout: expire.ONE_SECOND }).timeoutMs).toBe(1_000)
  })

  it('resolveOptions() accepts localMax 0 (L1 off) and any other non-negative integer', () => {
    expect(resolveOptions({ localMax: 0 }).localMax).toBe(0)
    expect(resolveOptions({ localMax: 1 }).localMax).toBe(1)
    expect(resolveOptions({ localMax: 1_000_000 }).localMax).toBe(1_000_000)
  })

  it('resolveOptions() turns on sliding expiry when refreshExpireTimeOnGet is true and expireTime is set', () => {
    expect(resolveOptions({ expireTime: '10s', refreshExpireTimeOnGet: true }).sliding).toBe(true)
    expect(resolveOptions({ expireTime: '10s', refreshExpireTimeOnGet: false }).sliding).toBe(false)
    expect(resolveOptions({ refreshExpireTimeOnGet: false }).sliding).toBe(false)
  })

  it('resolveOptions() resolves the named key types', () => {
    expect(resolveOptions<unknown, unknown>({ keyType: 'int' }).keyCodec.encode('+15')).toBe('15')
    expect(resolveOptions<unknown, unknown>({ keyType: 'float' }).keyCodec.encode('1e3')).toBe('1000')
    expect(resolveOptions<unknown, unknown>({ keyType: 'bigint' }).keyCodec.encode(15n)).toBe('15')
    expect(resolveOptions<unknown, unknown>({ keyType: 'json' }).keyCodec.encode({ b: 1, a: 2 })).toBe(
      '{"a":2,"b":1}',
    )
  })

  it('resolveOptions() wraps a custom keyType codec', () => {
    const { keyCodec } = resolveOptions<number, unknown>({
      keyType: { encode: (key) => `n${key}`, decode: (raw) => Number(raw.slice(1)) },
    })
    expect(keyCodec.encode(7)).toBe('n7')
    expect(keyCodec.decode('n7')).toBe(7)
  })

  it('resolveOptions() resolves every named value type', () => {
    expect(resolveOptions<string, unknown>({ valueType: 'string' }).valueCodec.encode('x')).toBe('x')
    expect(resolveOptions<string, unknown>({ valueType: 'int' }).valueCodec.encode(7)).toBe('7')
    expect(resolveOptions<string, unknown>({ valueType: 'float' }).valueCodec.encode(-0)).toBe('-0')
    expect(resolveOptions<string, unknown>({ valueType: 'bool' }).valueCodec.encode(true)).toBe('1')
    expect(resolveOptions<string, unknown>({ valueType: 'json' }).valueCodec.encode([1])).toBe('[1]')
    expect(resolveOptions<string, unknown>({ valueType: 'superjson' }).valueCodec.encode(1)).toBe('1')
    expect(resolveOptions<string, unknown>({ valueType: 'msgpack' }).valueCodec.reply).toBe('buffer')
    expect(resolveOptions<string, unknown>({ valueType: 'bytes' }).valueCodec.reply).toBe('buffer')
  })

  it('resolveOptions() builds a custom value codec from valueEncoder and valueDecoder, reading strings by default', () => {
    const { valueCodec } = resolveOptions<string, { n: number }>({
      valueType: 'custom',
      valueEncoder: (value) => String(value.n),
      valueDecoder: (raw: string) => ({ n: Number(raw) }),
    })
    expect(valueCodec.reply).toBe('string')
    expect(valueCodec.encode({ n: 3 })).toBe('3')
    expect(valueCodec.decode('3')).toEqual({ n: 3 })
  })

  it("resolveOptions() hands the custom decoder Buffers with valueDecoderInput 'buffer'", () => {
    const { valueCodec } = resolveOptions<string, number>({
      valueType: 'custom',
      valueEncoder: (value) => Buffer.from([value]),
      valueDecoder: (raw) => raw[0] ?? -1,
      valueDecoderInput: 'buffer',
    })
    expect(valueCodec.reply).toBe('buffer')
    expect(valueCodec.decode(Buffer.from([9]))).toBe(9)
    expect(
      resolveOptions<string, string>({
        valueType: 'custom',
        valueEncoder: (value) => value,
        valueDecoder: (raw) => raw,
        valueDecoderInput: 'string',
      }).valueCodec.reply,
    ).toBe('string')
  })

  it('resolveOptions() passes valueDefault through untouched', () => {
    const fallback = { empty: true }
    expect(resolveOptions({ valueDefault: fallback }).valueDefault).toBe(fallback)
    expect(resolveOptions({ valueDefault: 0 }).valueDefault).toBe(0)
    expect(resolveOptions({ valueDefault: null }).valueDefault).toBeNull()
  })

  it('resolveOptions() accepts redis as a redis:// or rediss:// URL, ioredis options, or a client', () => {
    expect(resolveOptions({ redis: 'redis://127.0.0.1:6379' }).redis).toBe('redis://127.0.0.1:6379')
    expect(resolveOptions({ redis: 'rediss://cache.example:6380/2' }).redis).toBe(
      'rediss://cache.example:6380/2',
    )
    const options = { host: '127.0.0.1', port: 6379 }
    expect(resolveOptions({ redis: options }).redis).toBe(options)
    const client = { pipeline: () => undefined, call: () => undefined, status: 'ready' }
    expect(resolveAnything({ redis: client }).redis).toBe(client)
  })
})

describe('resolveOptions refusals', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 5],
    ['a string', 'redis://127.0.0.1'],
  ])('resolveOptions() refuses %s as the options with a TypeError quoting it', (_label, options) => {
    expectTypeError(() => resolveAnything(options), 'Expected options to be an object')
  })

  it.each(['expire_time', 'ttl', 'localmax', 'ExpireTime', 'maxSize'])(
    'resolveOptions() refuses the unknown option %s with a TypeError naming it and the known ones',
    (name) => {
      expectTypeError(
        () => resolveAnything({ [name]: 1 }),
        `Unknown option \`${name}\``,
        'expireTime',
        'localMax',
      )
    },
  )

  it.each<[unknown, string]>([
    [-1, '`-1` (number)'],
    [1.5, '`1.5` (number)'],
    ['10', "`'10'` (string)"],
    [Number.NaN, '`NaN` (number)'],
    [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    [2 ** 53, '`9007199254740992` (number)'],
  ])('resolveOptions() refuses localMax %j with a TypeError quoting it', (localMax, quoted) => {
    expectTypeError(() => resolveAnything({ localMax }), '`localMax`', quoted)
  })

  it('resolveOptions() takes localPolicy lru, tinylfu or s3fifo, and refuses anything else with a TypeError quoting it', () => {
    expect(resolveOptions({ localPolicy: 'lru' }).localPolicy).toBe('lru')
    expect(resolveOptions({ localPolicy: 'tinylfu' }).localPolicy).toBe('tinylfu')
    expect(resolveOptions({ localPolicy: 's3fifo' }).localPolicy).toBe('s3fifo')
    for (const [localPolicy, quoted] of [
      ['LRU', "`'LRU'` (string)"],
      ['lfu', "`'lfu'` (string)"],
      [1, '`1` (number)'],
      [null, '`null` (null)'],
    ] as const) {
      expectTypeError(() => resolveAnything({ localPolicy }), '`localPolicy`', "'tinylfu'", quoted)
    }
  })

  it.each<[unknown, string]>([
    [0, '`0` (number)'],
    [-1, '`-1` (number)'],
    [1.5, '`1.5` (number)'],
    ['1mb', "`'1mb'` (string)"],
    [Number.NaN, '`NaN` (number)'],
    [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    [null, '`null` (null)'],
  ])('resolveOptions() refuses localMaxBytes %j with a TypeError quoting it', (localMaxBytes, quoted) => {
    expectTypeError(() => resolveAnything({ localMaxBytes }), '`localMaxBytes`', quoted)
  })

  it('resolveOptions() takes localMaxBytes as a positive integer, and no bound without it', () => {
    expect(resolveOptions({ localMaxBytes: 1 }).localMaxBytes).toBe(1)
    expect(resolveOptions({ localMaxBytes: 50_000_000 }).localMaxBytes).toBe(50_000_000)
    expect(resolveOptions().localMaxBytes).toBe(Number.POSITIVE_INFINITY)
  })

  it('resolveOptions() refuses localMax past 2^24 whatever the localPolicy', () => {
    for (const localPolicy of ['lru', 'tinylfu', 's3fifo'] as const) {
      expect(resolveOptions({ localMax: 2 ** 24, localPolicy }).localMax).toBe(2 ** 24)
      expectTypeError(() => resolveAnything({ localMax: 2 ** 24 + 1, localPolicy }), '`localMax`', '2^24')
    }
  })

  it('resolveOptions() takes localMax up to 2^24, the most entries a Map holds, and refuses more, saying why', () => {
    expect(resolveOptions({ localMax: 2 ** 24 }).localMax).toBe(16_777_216)
    expectTypeError(() => resolveAnything({ localMax: 2 ** 24 + 1 }), '`localMax`', '16777217', '2^24', 'Map')
  })

  it.each<[unknown, string]>([
    [0, '`0` (number)'],
    ['0s', "`'0s'` (string)"],
    ['soon', "`'soon'` (string)"],
    [-1, '`-1` (number)'],
    [1.5, '`1.5` (number)'],
    [null, '`null` (null)'],
  ])('resolveOptions() refuses localTtl %j with a TypeError quoting it', (localTtl, quoted) => {
    expectTypeError(() => resolveAnything({ localTtl }), '`localTtl`', quoted)
  })

  it.each<[unknown, string]>([
    [0, '`0` (number)'],
    [-5, '`-5` (number)'],
    ['10 parsecs', "`'10 parsecs'` (string)"],
    ['0.4ms', "`'0.4ms'` (string)"],
    [1.5, '`1.5` (number)'],
    [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    [true, '`true` (boolean)'],
  ])('resolveOptions() refuses expireTime %j with a TypeError quoting it', (expireTime, quoted) => {
    expectTypeError(() => resolveAnything({ expireTime }), '`expireTime`', quoted)
  })

  it('resolveOptions() says that null means no expiry when it refuses expireTime 0', () => {
    expectTypeError(() => resolveOptions({ expireTime: 0 }), 'null means no expiry')
  })

  it.each<[unknown, string]>([
    [0, '`0` (number)'],
    ['0ms', "`'0ms'` (string)"],
    [-100, '`-100` (number)'],
    ['later', "`'later'` (string)"],
    [null, '`null` (null)'],
  ])('resolveOptions() refuses timeout %j with a TypeError quoting it', (timeout, quoted) => {
    expectTypeError(() => resolveAnything({ timeout }), '`timeout`', quoted)
  })

  it.each<[unknown, string]>([
    ['uuid', "`'uuid'` (string)"],
    ['Int', "`'Int'` (string)"],
    [42, '`42` (number)'],
    [{ encode: (key: string) => key }, '(object)'],
  ])('resolveOptions() refuses keyType %j with a TypeError quoting it', (keyType, quoted) => {
    expectTypeError(() => resolveAnything({ keyType }), '`keyType`', quoted)
  })

  it.each<[unknown, string]>([
    ['xml', "`'xml'` (string)"],
    ['JSON', "`'JSON'` (string)"],
    ['toString', "`'toString'` (string)"],
    [42, '`42` (number)'],
  ])(
    'resolveOptions() refuses valueType %j with a TypeError listing the value types',
    (valueType, quoted) => {
      expectTypeError(() => resolveAnything({ valueType }), '`valueType`', "'superjson'", "'custom'", quoted)
    },
  )

  it.each<[string, Record<string, unknown>]>([
    ['valueEncoder', { valueEncoder: (value: unknown) => String(value) }],
    ['valueDecoder', { valueDecoder: (raw: string) => raw }],
    ['valueDecoderInput', { valueDecoderInput: 'buffer' }],
    [
      'valueEncoder with valueType json',
      { valueType: 'json', valueEncoder: (value: unknown) => String(value) },
    ],
  ])("resolveOptions() refuses %s without valueType 'custom'", (_label, options) => {
    expectTypeError(() => resolveAnything(options), '`valueEncoder`', "need `valueType: 'custom'`")
  })

  it("resolveOptions() refuses valueType 'custom' without its hooks, naming the missing one", () => {
    expectTypeError(
      () => resolveOptions({ valueType: 'custom' }),
      '`valueEncoder`',
      '`undefined` (undefined)',
    )
    expectTypeError(
      () => resolveOptions({ valueType: 'custom', valueEncoder: String }),
      '`valueDecoder`',
      '`undefined` (undefined)',
    )
    expectTypeError(
      () => resolveOptions({ valueType: 'custom', valueDecoder: (raw: string) => raw }),
      '`valueEncoder`',
    )
  })

  it('resolveOptions() refuses custom hooks that are not functions', () => {
    expectTypeError(
      () => resolveAnything({ valueType: 'custom', valueEncoder: 'toString', valueDecoder: String }),
      '`valueEncoder`',
      "`'toString'` (string)",
    )
    expectTypeError(
      () => resolveAnything({ valueType: 'custom', valueEncoder: String, valueDecoder: {} }),
      '`valueDecoder`',
      '(object)',
    )
  })

  it("resolveOptions() refuses valueDecoderInput 'hex' with a TypeError quoting it", () => {
    expectTypeError(
      () =>
        resolveAnything({
          valueType: 'custom',
          valueEncoder: String,
          valueDecoder: String,
          valueDecoderInput: 'hex',
        }),
      '`valueDecoderInput`',
      "'string' or 'buffer'",
      "`'hex'` (string)",
    )
  })

  it.each<[unknown, string]>([
    ['yes', "`'yes'` (string)"],
    [1, '`1` (number)'],
    ['true', "`'true'` (string)"],
  ])('resolveOptions() refuses refreshExpireTimeOnGet %j with a TypeError quoting it', (value, quoted) => {
    expectTypeError(
      () => resolveAnything({ expireTime: '1m', refreshExpireTimeOnGet: value }),
      '`refreshExpireTimeOnGet`',
      quoted,
    )
  })

  it('resolveOptions() refuses refreshExpireTimeOnGet true without an expireTime to refresh to', () => {
    expectTypeError(
      () => resolveOptions({ refreshExpireTimeOnGet: true }),
      '`refreshExpireTimeOnGet: true`',
      '`expireTime`',
    )
    expectTypeError(() => resolveOptions({ refreshExpireTimeOnGet: true, expireTime: null }), '`expireTime`')
  })

  it("resolveOptions() refuses refreshExpireTimeOnGet true with sync 'tracking', saying why and what to use", () => {
    expectTypeError(
      () => resolveOptions({ expireTime: '1m', refreshExpireTimeOnGet: true, sync: 'tracking' }),
      '`refreshExpireTimeOnGet: true`',
      "`sync: 'tracking'`",
      'PEXPIRE',
      "`sync: 'pubsub'`",
    )
    expect(resolveOptions({ expireTime: '1m', refreshExpireTimeOnGet: true, sync: 'pubsub' }).sliding).toBe(
      true,
    )
    expect(resolveOptions({ expireTime: '1m', refreshExpireTimeOnGet: false, sync: 'tracking' }).sync).toBe(
      'tracking',
    )
  })

  it.each<[string, unknown, string]>([
    ['a number', 42, '`42` (number)'],
    ['an http:// URL', 'http://x', "`'http://x'` (string)"],
    ['a host name', 'localhost:6379', "`'localhost:6379'` (string)"],
    ['an array', [], '(array)'],
    ['null', null, '`null` (null)'],
    ['a boolean', true, '`true` (boolean)'],
  ])('resolveOptions() refuses redis as %s with a TypeError quoting it', (_label, redis, quoted) => {
    expectTypeError(() => resolveAnything({ redis }), '`redis`', 'redis://', quoted)
  })
})

describe('Redis Cluster options', () => {
  it('resolveOptions() accepts { cluster: [nodes], ...clusterOptions } as redis', () => {
    const redis = { cluster: [{ host: '127.0.0.1', port: 7000 }], scaleReads: 'master' as const }
    expect(resolveOptions({ redis }).redis).toBe(redis)
  })

  it.each<[string, unknown, string]>([
    ['an empty array', [], '(array)'],
    ['a string', '127.0.0.1:7000', "`'127.0.0.1:7000'` (string)"],
    ['null', null, '`null` (null)'],
  ])(
    'resolveOptions() refuses redis.cluster as %s with a TypeError quoting it',
    (_label, cluster, quoted) => {
      expectTypeError(
        () => resolveAnything({ redis: { cluster } }),
        '`redis.cluster`',
        'startup nodes',
        quoted,
      )
    },
  )

  it('hashTag defaults to false and must be a boolean', () => {
    expect(resolveOptions({}).hashTag).toBe(false)
    expect(resolveOptions({ hashTag: true }).hashTag).toBe(true)
    expectTypeError(() => resolveAnything({ hashTag: 'yes' }), '`hashTag`', "`'yes'` (string)")
  })

  it('keyPrefixOf() wraps the name in a hash tag only when asked, and refuses braces there', () => {
    expect(keyPrefixOf('users', false)).toBe('users:')
    expect(keyPrefixOf('a{b}', false)).toBe('a{b}:')
    expect(keyPrefixOf('users', true)).toBe('{users}:')
    expectTypeError(() => keyPrefixOf('a}b', true), '`hashTag: true`', "`'a}b'` (string)")
    expectTypeError(() => keyPrefixOf('{a', true), '`{`')
  })

  it('sharedStructures is a boolean, for valueType msgpack only and never with pubsubDict', () => {
    expect(resolveOptions({}).sharedStructures).toBe(false)
    expect(resolveAnything({ valueType: 'msgpack', sharedStructures: true }).sharedStructures).toBe(true)
    expect(resolveAnything({ sharedStructures: false }).sharedStructures).toBe(false)
    expectTypeError(
      () => resolveAnything({ valueType: 'msgpack', sharedStructures: 'yes' }),
      '`sharedStructures`',
      "`'yes'` (string)",
    )
    expectTypeError(
      () => resolveAnything({ sharedStructures: true }),
      "`valueType: 'msgpack'`",
      "'superjson'",
    )
    expectTypeError(
      () => resolveAnything({ valueType: 'json', sharedStructures: true }),
      "`valueType: 'msgpack'`",
      "'json'",
    )
    expectTypeError(
      () => resolveAnything({ valueType: 'msgpack', pubsubDict: true, sharedStructures: true }),
      '`pubsubDict: true`',
    )
  })

  it('checkApartFromLocks() refuses a namespace that holds the shared-structure registries', () => {
    expectTypeError(() => checkApartFromLocks('_structures', '_structures:', '_lock:'), '`_structures:*`')
    expect(() => checkApartFromLocks('_structure', '_structure:', '_lock:')).not.toThrow()
  })

  it('checkApartFromLocks() refuses a namespace that holds the lock keys, or that they hold', () => {
    // `_lock:*` would list and clear every cache's getOrSet locks.
    expectTypeError(
      () => checkApartFromLocks('_lock', '_lock:', '_lock:'),
      "`'_lock'` (string)",
      '`_lock:*`',
      '`lockPrefix`',
    )
    expectTypeError(() => checkApartFromLocks('_lock:users', '_lock:users:', '_lock:'), '`_lock:users:*`')
    // A lockPrefix `a` puts the locks of cache `bc` at `abc:...`, inside cache `abc`.
    expectTypeError(() => checkApartFromLocks('abc', 'abc:', 'a'), '`abc:*`', '`a*`')
    // Locks under the cache's own namespace would be its entries.
    expectTypeError(() => checkApartFromLocks('users', 'users:', 'users:locks:'), '`users:locks:*`')
    expect(() => checkApartFromLocks('_lock', '_lock:', 'locks:')).not.toThrow()
    expect(() => checkApartFromLocks('_lockers', '_lockers:', '_lock:')).not.toThrow()
    expect(() => checkApartFromLocks('_lock', '{_lock}:', '_lock:')).not.toThrow()
  })

  it('new FlipCache() refuses a name that overlaps the lock prefix before it connects', () => {
    // No client is opened: the check comes first, so nothing listens on the (unused) default port.
    expectTypeError(() => new FlipCache('_lock'), '`_lock:*`', '`lockPrefix`')
    expectTypeError(() => new FlipCache('locks', { lockPrefix: 'locks:x:' }), '`locks:*`', '`locks:x:*`')
  })
})

describe('parseExpireTime', () => {
  it('parseExpireTime() reads null as no expiry and durations as milliseconds', () => {
    expect(parseExpireTime(null)).toBeNull()
    expect(parseExpireTime('10s')).toBe(10_000)
    expect(parseExpireTime(expire.ONE_HOUR)).toBe(3_600_000)
  })

  it('parseExpireTime() names the option it was given in its TypeErrors', () => {
    expectTypeError(
      () => parseExpireTime(0, 'set options.expireTime'),
      '`set options.expireTime`',
      '`0` (number)',
    )
    expectTypeError(() => parseExpireTime(undefined), '`expireTime`', '`undefined` (undefined)')
  })
})

describe('checkName', () => {
  it.each(['users', 'a*b', 'x[1]', 'app:users', 'a?', 'back\\slash', 'ünïcödé', '😀', 'a-b_c.d', '0'])(
    'checkName() accepts the name %j',
    (name) => {
      expect(() => checkName(name)).not.toThrow()
    },
  )

  it.each<[string, unknown, string]>([
    ['the empty string', '', "`''` (string)"],
    ['a name with a space', 'a b', "`'a b'` (string)"],
    ['a name with a tab', 'tab\t', "`'tab\t'` (string)"],
    ['a name with a newline', 'a\nb', '(string)'],
    ['a name with a non-breaking space', 'a\u00a0b', '(string)'],
    ['a leading space', ' users', "`' users'` (string)"],
    ['a number', 42, '`42` (number)'],
    ['null', null, '`null` (null)'],
    ['undefined', undefined, '`undefined` (undefined)'],
  ])('checkName() refuses %s with a TypeError quoting it', (_label, name, quoted) => {
    expectTypeError(() => checkName(name), 'cache name', 'non-empty string without whitespace', quoted)
  })

  // Keys are refused when they hold lone surrogates, because ioredis writes them as U+FFFD and
  // different keys would collide; a name is part of every Redis key, so two caches named
  // '\uD800' and '\uDBFF' would share the namespace '\uFFFD:' (and clear() one another).
  it('checkName() refuses names with lone surrogates, as keyType string refuses such keys', () => {
    expect(() => checkName('\uD800')).toThrow(TypeError)
    expect(() => checkName('app\uDC00')).toThrow(TypeError)
  })
})

describe('resolveOptions with null', () => {
  it.each(['localMax', 'localTtl', 'timeout', 'keyType', 'valueType', 'refreshExpireTimeOnGet', 'redis'])(
    'resolveOptions() refuses %s: null instead of falling back to the default',
    (option) => {
      expect(() => resolveAnything({ [option]: null })).toThrow(TypeError)
    },
  )
})

describe('resolveOptions circuitBreaker', () => {
  it('resolveOptions() turns the circuit breaker on by default, off with false, and reads its fields', () => {
    expect(resolveOptions({}).breaker).toEqual({ failures: 5, cooldownMs: 1000 })
    expect(resolveOptions({ circuitBreaker: false }).breaker).toBeUndefined()
    expect(resolveOptions({ circuitBreaker: { failures: 2, cooldown: '5s' } }).breaker).toEqual({
      failures: 2,
      cooldownMs: 5000,
    })
  })

  it.each([
    [{ failures: 0 }, '`0`'],
    [{ failures: 1.5 }, '`1.5`'],
    [{ cooldown: 0 }, 'circuitBreaker.cooldown'],
    [{ retries: 3 }, 'retries'],
    [true, '`true`'],
  ])('resolveOptions() refuses circuitBreaker %j with a TypeError', (circuitBreaker, quoted) => {
    expectTypeError(() => resolveAnything({ circuitBreaker }), quoted)
  })
})

describe('resolveOptions with very long expiries', () => {
  it('resolveOptions() refuses an expireTime or grace past 100 years (null means no expiry)', () => {
    expectTypeError(() => resolveOptions({ expireTime: 1.2e14 }), 'at most 100 years')
    expect(resolveOptions({ expireTime: '100w' }).expireMs).toBe(100 * 604_800_000)
    expectTypeError(() => resolveOptions({ expireTime: '1m', grace: 1.2e14 }), 'at most 100 years')
  })
})
