import { describe, expect, it } from 'vitest'
import { CacheClosedError, type DictWriteError, type FlipCacheError } from '../../src/errors.js'
import { type DictPort, dictView } from '../../src/facade/dict-view.js'
import { keyCodecFor } from '../../src/types/key-type.js'
import { idle } from '../support/fake-redis-client.js'
import { expectTypeError } from './expect-type-error.js'

/** A write or delete the fake cache received, which settles when the test says. */
interface HeldChange {
  key: number
  value?: string
  encoded?: string
  resolve(): void
  reject(error: Error): void
}

/**
 * A fake cache of int keys and string values behind a dict view: reads answer from `stored`,
 * writes and deletes are held until the test settles them (in any order it chooses).
 */
function fakeCache(options: { localEnabled?: boolean; valueDefault?: string } = {}) {
  const held: HeldChange[] = []
  const local = new Set<string>()
  const reported: FlipCacheError[] = []
  const stored = new Map<number, string>()
  let closed = false
  const hold = (change: Omit<HeldChange, 'resolve' | 'reject'>): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      held.push({ ...change, resolve, reject })
    })
  const port: DictPort<number, string, string | undefined> = {
    name: 'users',
    keys: keyCodecFor<number>('int'),
    localEnabled: options.localEnabled ?? true,
    closed: () => closed,
    held: (encoded) => local.has(encoded),
    encode(_encoded, value) {
      if (typeof value !== 'string') throw new TypeError(`Expected a string value, got ${typeof value}`)
      return value
    },
    copy: (encodedValue) => String(encodedValue),
    served: (_encoded, value) => value,
    miss: () => options.valueDefault,
    read: async (key) => stored.get(key) ?? options.valueDefault,
    write: (key, value, encoded) => hold({ key, value, encoded }),
    remove: (key) => hold({ key }).then(() => true),
    report: (error) => reported.push(error),
  }
  const { view, pending } = dictView(port)
  return {
    view: view as Record<number, string | Promise<string | undefined>>,
    pending,
    held,
    local,
    reported,
    stored,
    close: () => {
      closed = true
    },
  }
}

describe('dict view (fake cache)', () => {
  it('a write is read back at once, while Redis has not acknowledged it; then reads go to the cache', async () => {
    const { view, held, stored } = fakeCache()
    stored.set(15, 'old')
    view[15] = 'new'
    expect(await view[15]).toBe('new')
    expect(held.map(({ key, value, encoded }) => [key, value, encoded])).toEqual([[15, 'new', '15']])
    held[0]?.resolve()
    await idle()
    // The cache answers from now on (here the fake's `stored`, which the write did not change).
    expect(await view[15]).toBe('old')
  })

  it('the latest change of a key answers until it settles, whatever order the earlier ones settle in', async () => {
    const { view, held, pending } = fakeCache()
    view[1] = 'a'
    view[1] = 'b'
    delete view[1]
    view[1] = 'c'
    expect(pending.size).toBe(4)
    const [a, b, removal, c] = held
    b?.resolve()
    removal?.reject(new Error('down'))
    a?.resolve()
    await idle()
    expect(await view[1]).toBe('c')
    expect(1 in view).toBe(true)
    c?.resolve()
    await idle()
    expect(1 in view).toBe(false)
    expect(pending.size).toBe(0)
  })

  it('a pending delete reads as a miss (valueDefault) and is not `in` the view', async () => {
    const { view, local } = fakeCache({ valueDefault: 'none' })
    local.add('7')
    expect(7 in view).toBe(true)
    delete view[7]
    expect(7 in view).toBe(false)
    expect(await view[7]).toBe('none')
  })

  it('`in` answers from L1 and pending changes only, and is refused without L1', () => {
    const { view, local, stored } = fakeCache()
    stored.set(3, 'in Redis only')
    expect(3 in view).toBe(false)
    local.add('3')
    expect(3 in view).toBe(true)
    const withoutL1 = fakeCache({ localEnabled: false })
    expectTypeError(() => 3 in withoutL1.view, 'localMax 0', 'cache.has(key)')
  })

  it('a failed change is reported at once, leaves the key to the cache, and rejects one dictSettled()', async () => {
    const { view, held, pending, reported, stored } = fakeCache()
    stored.set(2, 'stored')
    view[1] = 'lost'
    delete view[2]
    held[0]?.reject(new Error('socket closed'))
    held[1]?.reject(new Error('timed out'))
    await idle()
    expect(reported.map((error) => error.message)).toEqual([
      "The dict view's write of key `1` in FlipCache `users` failed: socket closed",
      "The dict view's delete of key `2` in FlipCache `users` failed: timed out",
    ])
    expect(await view[1]).toBeUndefined()
    expect(await view[2]).toBe('stored')
    const failure = await pending.settled().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(AggregateError)
    const errors = (failure as AggregateError).errors as DictWriteError[]
    expect(errors).toEqual(reported)
    expect(errors.map((error) => [error.code, error.key, error.operation])).toEqual([
      ['E_DICT_WRITE', '1', 'set'],
      ['E_DICT_WRITE', '2', 'delete'],
    ])
    expect(errors[0]?.cause).toEqual(new Error('socket closed'))
    expect((failure as AggregateError).message).toContain('keys 1, 2')
    await expect(pending.settled()).resolves.toBeUndefined()
  })

  it('dictSettled() waits for the changes started before it, not for later ones', async () => {
    const { view, held, pending } = fakeCache()
    view[1] = 'a'
    let settled = false
    const waiting = pending.settled().then(() => {
      settled = true
    })
    view[2] = 'b'
    await idle()
    expect(settled).toBe(false)
    held[0]?.resolve()
    await waiting
    expect(settled).toBe(true)
    expect(pending.size).toBe(1)
  })

  it('property names go through the key codec: `015` is the int key 15, `abc` is a TypeError naming it', () => {
    const { view, held } = fakeCache()
    const loose = view as unknown as Record<string, unknown>
    loose['015'] = 'v'
    expect(held[0]?.key).toBe(15)
    expect(held[0]?.encoded).toBe('15')
    expectTypeError(() => loose.abc, "`'abc'`", 'keyType `int`')
    expectTypeError(() => delete loose['1e3'], "`'1e3'`")
    expectTypeError(() => 'x' in loose, "`'x'`")
  })

  it('a bad value is a TypeError from the assignment, before anything is sent; so is a promise', () => {
    const { view, held } = fakeCache()
    const loose = view as unknown as Record<number, unknown>
    expectTypeError(() => {
      loose[1] = 5
    }, 'Expected a string value')
    expectTypeError(
      () => {
        loose[1] = Promise.resolve('v')
      },
      'await it first',
      '`1`',
    )
    expectTypeError(() => {
      // A thenable that is no Promise (biome refuses a literal `then` property).
      loose[1] = Object.fromEntries([['then', () => {}]])
    }, 'thenable')
    expect(held).toHaveLength(0)
  })

  it('after close, every key expression throws E_CLOSED; reserved names stay TypeErrors', () => {
    const { view, close } = fakeCache()
    close()
    for (const use of [
      () => view[1],
      () => {
        view[1] = 'v'
      },
      () => delete view[1],
      () => 1 in view,
    ]) {
      expect(use).toThrow(CacheClosedError)
    }
    expectTypeError(() => (view as unknown as Record<string, unknown>).constructor, '`constructor`')
  })

  it('a failure nobody waits for is no unhandled rejection', async () => {
    const { view, held, reported } = fakeCache()
    view[1] = 'v'
    held[0]?.reject(new Error('down'))
    // Vitest fails the run on an unhandled rejection; give one the chance to surface.
    await idle()
    await idle()
    expect(reported).toHaveLength(1)
  })
})
