import { describe, expect, expectTypeOf, it } from 'vitest'
import * as flipcache from '../../src/index.js'
import {
  type CacheStats,
  ErrorCode,
  expire,
  FlipCache,
  FlipCacheError,
  type FlipCacheOptions,
  parseDuration,
} from '../../src/index.js'

describe('public API', () => {
  it('index exports the contract names and nothing internal', () => {
    expect(Object.keys(flipcache).sort()).toEqual([
      'CacheClosedError',
      'CompressionAlgorithm',
      'DeadLetterError',
      'DecodeError',
      'DictWriteError',
      'EncodeError',
      'ErrorCode',
      'FlipCache',
      'FlipCacheError',
      'FlipCounter',
      'FlipList',
      'FlipRanking',
      'KeyTypeName',
      'LoaderError',
      'LoaderResultError',
      'LoaderTimeoutError',
      'LockLostError',
      'PersistError',
      'RateLimitAlgorithm',
      'RateLimiter',
      'RedisTimeoutError',
      'RedisUnavailableError',
      'RestoreError',
      'SyncError',
      'SyncMode',
      'ValueTooLargeError',
      'ValueTypeName',
      'WriteQueueFullError',
      'channelNames',
      'expire',
      'loadChannelName',
      'operationChannelName',
      'parseDuration',
      'pythonTupleKey',
      'tracedOperations',
      'typed',
    ])
  })

  it('error codes are the documented strings', () => {
    expect(ErrorCode).toEqual({
      closed: 'E_CLOSED',
      redis: 'E_REDIS',
      timeout: 'E_TIMEOUT',
      decode: 'E_DECODE',
      encode: 'E_ENCODE',
      tooLarge: 'E_TOO_LARGE',
      loader: 'E_LOADER',
      loaderTimeout: 'E_LOADER_TIMEOUT',
      loaderResult: 'E_LOADER_RESULT',
      lockLost: 'E_LOCK_LOST',
      syncUnheard: 'E_SYNC_UNHEARD',
      syncNotice: 'E_SYNC_NOTICE',
      syncRefused: 'E_SYNC_REFUSED',
      queueFull: 'E_QUEUE_FULL',
      deadLetter: 'E_DEAD_LETTER',
      restore: 'E_RESTORE',
      persist: 'E_PERSIST',
      dictWrite: 'E_DICT_WRITE',
    })
    const error = new FlipCacheError('E_REDIS', 'down', { cause: new Error('socket') })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('FlipCacheError')
    expect(error.cause).toEqual(new Error('socket'))
  })

  it('FlipCache methods carry the key and value types (checked by tsc)', () => {
    interface User {
      name: string
    }
    type Users = FlipCache<number, User>
    expectTypeOf<Users['get']>().parameters.toEqualTypeOf<[number]>()
    expectTypeOf<Users['get']>().returns.resolves.toEqualTypeOf<User | undefined>()
    expectTypeOf<Users['getMany']>().returns.resolves.toEqualTypeOf<(User | undefined)[]>()
    expectTypeOf<Users['getOrSetMany']>().parameter(0).toEqualTypeOf<Iterable<number>>()
    expectTypeOf<Users['getOrSetMany']>().returns.resolves.toEqualTypeOf<User[]>()
    expectTypeOf<Users['set']>().parameter(1).toEqualTypeOf<User>()
    expectTypeOf<Users['peek']>().returns.toEqualTypeOf<User | undefined>()
    expectTypeOf<Users['delete']>().returns.resolves.toEqualTypeOf<boolean>()
    expectTypeOf<Users['deleteMany']>().returns.resolves.toEqualTypeOf<number>()
    expectTypeOf<Users['ttl']>().returns.resolves.toEqualTypeOf<number | null | undefined>()
    expectTypeOf<Users['keys']>().returns.toEqualTypeOf<AsyncGenerator<number, void, undefined>>()
    expectTypeOf<Users['entries']>().returns.toEqualTypeOf<AsyncGenerator<[number, User], void, undefined>>()
    expectTypeOf<Users['stats']>().returns.toEqualTypeOf<CacheStats>()
    expectTypeOf<FlipCacheOptions<number, User>['valueDefault']>().toEqualTypeOf<User | undefined>()
    expectTypeOf(expire.ONE_DAY).toEqualTypeOf<86_400_000>()
    expectTypeOf(parseDuration).returns.toEqualTypeOf<number>()
    expect(typeof FlipCache).toBe('function')
  })
})
