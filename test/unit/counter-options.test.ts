import { describe, expect, it } from 'vitest'
import { FlipCounter, type FlipCounterOptions } from '../../src/index.js'
import { resolveCounterOptions } from '../../src/structures/counter/counter-options.js'
import { expectTypeError } from './expect-type-error.js'

/** Options of any shape, to check what is refused without fighting the types. */
const resolveAnything = (options: unknown) => resolveCounterOptions(options as FlipCounterOptions<string>)

describe('FlipCounter options', () => {
  it('fills in every default', () => {
    const resolved = resolveCounterOptions<string>({})
    expect(resolved).toMatchObject({
      expireMs: 0,
      restore: undefined,
      restoreTimeoutMs: 5000,
      persist: undefined,
      persistIntervalMs: 5000,
      persistBatchSize: 100,
      persistTimeoutMs: 60_000,
      closeTimeoutMs: 5000,
      hashTag: false,
      timeoutMs: 1000,
    })
  })

  it('takes durations as ms or strings', () => {
    const resolved = resolveAnything({
      expireTime: '100s',
      restoreTimeout: '2s',
      persistInterval: 250,
      persistTimeout: '1m',
      closeTimeout: '3s',
    })
    expect(resolved).toMatchObject({
      expireMs: 100_000,
      restoreTimeoutMs: 2000,
      persistIntervalMs: 250,
      persistTimeoutMs: 60_000,
      closeTimeoutMs: 3000,
    })
    expect(resolveAnything({ expireTime: null }).expireMs).toBe(0)
  })

  it('refuses each bad option with a TypeError quoting the value', () => {
    expectTypeError(() => resolveAnything({ restore: 5 }), '`restore`', '`5` (number)')
    expectTypeError(() => resolveAnything({ persist: 'db' }), '`persist`', "`'db'` (string)")
    expectTypeError(() => resolveAnything({ expireTime: 0 }), '`expireTime`')
    expectTypeError(() => resolveAnything({ expireTime: '-1s' }), '`expireTime`')
    for (const name of ['restoreTimeout', 'persistInterval', 'persistTimeout', 'closeTimeout']) {
      expectTypeError(() => resolveAnything({ [name]: 0 }), `\`${name}\``)
      expectTypeError(() => resolveAnything({ [name]: 'soon' }), `\`${name}\``)
    }
    expectTypeError(() => resolveAnything({ persistBatchSize: 0 }), '`persistBatchSize`', '`0` (number)')
    expectTypeError(() => resolveAnything({ persistBatchSize: 1.5 }), '`persistBatchSize`')
    expectTypeError(() => resolveAnything({ persistBatchSize: 100_001 }), '`persistBatchSize`')
    expectTypeError(() => resolveAnything({ hashTag: 'yes' }), '`hashTag`')
    expectTypeError(() => resolveAnything({ keyType: 'nope' }))
    expectTypeError(() => resolveAnything({ timeout: -1 }), '`timeout`')
    expectTypeError(() => resolveAnything({ restor: () => 1 }), 'Unknown option `restor`')
    expectTypeError(() => resolveAnything('options'), 'options')
  })

  it('refuses an expireTime no longer than persistInterval with persist', () => {
    expectTypeError(
      () => resolveAnything({ persist: async () => {}, persistInterval: '10s', expireTime: '10s' }),
      '`expireTime` (10000 ms)',
      '`persistInterval` (10000 ms)',
    )
    expect(
      resolveAnything({ persist: async () => {}, persistInterval: '10s', expireTime: '11s' }).expireMs,
    ).toBe(11_000)
  })

  it('the constructor refuses a bad name or bad options before it connects', () => {
    expectTypeError(() => new FlipCounter('has space', { redis: 'redis://127.0.0.1:1' }), 'name')
    expectTypeError(() => new FlipCounter('', {}), 'name')
    expectTypeError(
      () => new FlipCounter('views', { persistBatchSize: -1 } as FlipCounterOptions<string>),
      '`persistBatchSize`',
    )
  })
})
