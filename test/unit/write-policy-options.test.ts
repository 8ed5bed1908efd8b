import { describe, expect, it } from 'vitest'
import { resolveOptions } from '../../src/options.js'
import { expectTypeError } from './expect-type-error.js'

describe('writeThrough and writeBehind options', () => {
  const resolve = (options: unknown) => resolveOptions(options as never)
  const flush = () => {}

  const refused: [options: object, ...fragments: string[]][] = [
    [{ writeThrough: 5 }, '`writeThrough` to be an object', '`5` (number)'],
    [{ writeThrough: { write: () => {} } }, '`writeThrough.delete` to be a function', '`undefined`'],
    [{ writeThrough: { write: 'x', delete: () => {} } }, '`writeThrough.write` to be a function', "`'x'`"],
    [{ writeBehind: null }, '`writeBehind` to be an object', '`null`'],
    [{ writeBehind: {} }, '`writeBehind.flush` to be a function', '`undefined`'],
    [{ writeBehind: { flush, batch: 5 } }, 'Unknown `writeBehind` field `batch`'],
    [{ writeBehind: { flush, batchSize: 0 } }, '`writeBehind.batchSize`', '`0` (number)'],
    [{ writeBehind: { flush, batchSize: 1001 } }, '`writeBehind.batchSize` to be an integer from 1 to 1000'],
    [{ writeBehind: { flush, maxQueued: 1.5 } }, '`writeBehind.maxQueued`', '`1.5` (number)'],
    [{ writeBehind: { flush, maxAttempts: -1 } }, '`writeBehind.maxAttempts`', '`-1` (number)'],
    [{ writeBehind: { flush, pollInterval: '1 minute' } }, '`writeBehind.pollInterval`'],
    [{ writeBehind: { flush, claimAfter: 0 } }, '`writeBehind.claimAfter`', '`0` (number)'],
    [{ writeBehind: { flush, retryDelay: -5 } }, '`writeBehind.retryDelay`'],
    [{ writeBehind: { flush, drainTimeout: 'soon' } }, '`writeBehind.drainTimeout`'],
    [{ writeBehind: { flush, drain: 'yes' } }, '`writeBehind.drain` to be a boolean', "`'yes'` (string)"],
    [
      { writeBehind: { flush }, writeThrough: { write: flush, delete: flush } },
      'at most one of `writeThrough` and `writeBehind`',
    ],
    [
      { writeBehind: { flush }, storage: { kind: 'hash', bucketSize: 10 }, keyType: 'int' },
      "needs `storage: 'string'`",
    ],
  ]
  it.each(refused)('refuses %o with a TypeError naming the bad value', (options, ...fragments) => {
    expectTypeError(() => resolve(options), ...fragments)
  })

  it('fills in the documented defaults', () => {
    expect(resolve({ writeBehind: { flush } }).writePolicy).toEqual({
      kind: 'behind',
      settings: {
        flush,
        batchSize: 100,
        pollMs: 1000,
        maxQueued: 100_000,
        claimAfterMs: 30_000,
        maxAttempts: 5,
        retryDelayMs: 1000,
        drainTimeoutMs: 5000,
        drain: true,
      },
    })
    expect(resolve({}).writePolicy).toEqual({ kind: 'cache-only' })
  })
})
