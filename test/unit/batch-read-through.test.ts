import { afterEach, describe, expect, it, vi } from 'vitest'
import { CacheCore } from '../../src/core/cache-core.js'
import { CacheState } from '../../src/core/cache-state.js'
import type { Flight } from '../../src/core/reads.js'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { withHeader } from '../../src/entry/entry-header.js'
import { CacheClosedError, type FlipCacheError, RedisUnavailableError } from '../../src/errors.js'
import type { BatchLoader } from '../../src/loading/batch-read-through.js'
import type { ResolvedLoad } from '../../src/loading/load-options.js'
import { ReadThrough } from '../../src/loading/read-through.js'
import { LocalTier } from '../../src/local/local-tier.js'
import type { KeyWatch } from '../../src/lock/lock-notices.js'
import type { Locks } from '../../src/lock/locks.js'
import type { RedisLock } from '../../src/lock/redis-lock.js'
import type { ReadReply } from '../../src/redis/transport-view.js'
import { stringCodec } from '../../src/types/scalar-codecs.js'
import { manualCoreConfig } from '../support/manual-core.js'
import { ManualStore } from '../support/manual-store.js'

/** Lets every promise callback that can run, run. */
const settled = async (): Promise<void> => {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve))
}

const withLock: ResolvedLoad = {
  expireMs: 60_000,
  graceMs: 0,
  refreshAhead: undefined,
  softTimeoutMs: 0,
  hardTimeoutMs: undefined,
  lock: { ttlMs: 10_000, waitMs: 10_000 },
}

/** Per-key locks whose outcome the test decides: a key in `heldElsewhere` is refused until freed. */
class FakeLocks {
  readonly heldElsewhere = new Set<string>()
  /** Every acquire(), by key, in order. */
  readonly attempts: string[] = []
  readonly finished: [key: string, outcome: string][] = []
  readonly #wakes = new Map<string, (() => void)[]>()

  keyOf(key: string): string {
    return `lock:${key}`
  }

  lock(key: string): RedisLock {
    return {
      acquire: async () => {
        this.attempts.push(key)
        return !this.heldElsewhere.has(key)
      },
      release: async () => {},
      discard: async () => {},
    } as unknown as RedisLock
  }

  /** The batch's group: each key's lock as `lock` makes it (lock keys are `lock:${key}`). */
  group(): { lock(lockKey: string): RedisLock } {
    return { lock: (lockKey) => this.lock(lockKey.slice('lock:'.length)) }
  }

  async watch(key: string): Promise<KeyWatch> {
    return {
      next: () =>
        new Promise<void>((resolve) => {
          this.#wakes.set(key, [...(this.#wakes.get(key) ?? []), resolve])
        }),
      stop: () => {},
    }
  }

  /** The holder of `key` is done: its waiters wake. */
  notify(key: string): void {
    this.heldElsewhere.delete(key)
    for (const wake of this.#wakes.get(key) ?? []) wake()
    this.#wakes.delete(key)
  }

  wakeAll(): void {
    for (const key of [...this.#wakes.keys()]) this.notify(key)
  }

  async doneMany(keys: string[], outcome: string): Promise<void> {
    for (const key of keys) await this.done(key, outcome)
  }

  async done(key: string, outcome: string): Promise<void> {
    this.finished.push([key, outcome])
  }
}

function readThroughOn() {
  const store = new ManualStore()
  const state = new CacheState<string, Flight<string>>(new LocalTier(100, 60_000))
  const entries = new EntryCodec(stringCodec, undefined, (key) => store.redisKey(key))
  const reported: FlipCacheError[] = []
  const report = (error: FlipCacheError): void => {
    reported.push(error)
  }
  const core = new CacheCore<string>(manualCoreConfig({ store, state, entries, report }))
  const locks = new FakeLocks()
  const readThrough = new ReadThrough<string, string>(core, locks as unknown as Locks, {
    name: 'cache',
    where: (key) => store.redisKey(key),
    report,
    lockRelease: undefined,
    closed: () => new CacheClosedError('test'),
    timeoutMs: 1_000,
    notFound: () => false,
    fits: () => {},
  })
  const many = (keys: string[], loader: BatchLoader<string, string>, load = withLock) =>
    readThrough.getOrSetMany(keys, keys, loader, load, (key) => key)
  return { store, readThrough, reported, locks, many }
}

const misses = (count: number): ReadReply => ({
  values: Array.from({ length: count }, () => null),
  ttls: Array.from({ length: count }, () => -2),
})
const loadAll: BatchLoader<string, string> = (keys) => keys.map((key) => `v:${key}`)

afterEach(() => {
  vi.useRealTimers()
})

describe('ReadThrough.getOrSetMany()', () => {
  it('reads every key in one read, takes every lock at once, and loads the locked keys while waiting for the others', async () => {
    const { store, locks, many } = readThroughOn()
    locks.heldElsewhere.add('b')
    const loader = vi.fn(loadAll)
    const call = many(['a', 'b', 'c'], loader)
    const read = store.next<ReadReply>('read')
    expect(read.keys).toEqual(['a', 'b', 'c'])
    read.release(misses(3))
    await settled()
    expect(locks.attempts).toEqual(['a', 'b', 'c'])
    // Under the locks, the keys locked here are read again, in one read.
    const again = store.next<ReadReply>('read')
    expect(again.keys).toEqual(['a', 'c'])
    again.release(misses(2))
    await settled()
    expect(loader.mock.calls.map(([keys]) => keys)).toEqual([['a', 'c']])
    const write = store.next<void>('write')
    expect(write.keys).toEqual(['a', 'c'])
    write.release(undefined)
    await settled()
    // The holder of b stored it: on its notice, b is read, not loaded.
    locks.notify('b')
    await settled()
    store.next<ReadReply>('read').release({ values: ['theirs'], ttls: [-1] })
    expect(await call).toEqual(['v:a', 'theirs', 'v:c'])
    expect(loader).toHaveBeenCalledOnce()
    expect(locks.finished).toEqual([
      ['a', 'loaded'],
      ['c', 'loaded'],
    ])
  })

  it('loads a key whose holder gave up (its lock now taken here) in one more loader call', async () => {
    const { store, locks, many } = readThroughOn()
    locks.heldElsewhere.add('b')
    const loader = vi.fn(loadAll)
    const call = many(['a', 'b'], loader)
    store.next<ReadReply>('read').release(misses(2))
    await settled()
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    store.next('write').release(undefined)
    locks.notify('b')
    await settled()
    // Woken, b is still missing: the lock is tried again, taken, and b read under it.
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    store.next('write').release(undefined)
    expect(await call).toEqual(['v:a', 'v:b'])
    expect(loader.mock.calls.map(([keys]) => keys)).toEqual([['a'], ['b']])
  })

  it('loads a key that comes free at once, without holding its lock while it waits for another', async () => {
    const { store, locks, many } = readThroughOn()
    locks.heldElsewhere.add('a')
    locks.heldElsewhere.add('b')
    const loader = vi.fn(loadAll)
    const call = many(['a', 'b'], loader)
    store.next<ReadReply>('read').release(misses(2))
    await settled()
    // a's holder gives up: a is read, locked here, read under its lock and loaded while b still waits.
    locks.notify('a')
    await settled()
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    expect(loader.mock.calls.map(([keys]) => keys)).toEqual([['a']])
    store.next('write').release(undefined)
    await settled()
    expect(locks.finished).toEqual([['a', 'loaded']])
    // b's holder stored it.
    locks.notify('b')
    await settled()
    store.next<ReadReply>('read').release({ values: ['theirs'], ttls: [-1] })
    expect(await call).toEqual(['v:a', 'theirs'])
    expect(loader).toHaveBeenCalledOnce()
  })

  it('shares the in-process single-flight with getOrSet, both ways', async () => {
    const { store, readThrough, many } = readThroughOn()
    const single = vi.fn(async () => 'single')
    const first = readThrough.getOrSet('a', 'a', single, withLock)
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    // a is loading through getOrSet: the batch joins it and loads b alone.
    const loader = vi.fn(loadAll)
    const batch = many(['a', 'b'], loader)
    store.next<ReadReply>('read').release(misses(2))
    await settled()
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    expect(loader.mock.calls.map(([keys]) => keys)).toEqual([['b']])
    // A getOrSet of b now joins the batch's load.
    const joining = readThrough.getOrSet('b', 'b', single, withLock)
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    for (const write of [store.next('write'), store.next('write')]) write.release(undefined)
    expect(await Promise.all([first, batch, joining])).toEqual(['single', ['single', 'v:b'], 'v:b'])
    expect(single).toHaveBeenCalledOnce()
  })

  it('serves stale keys at once and refreshes them in one background call; a stale key locked elsewhere is left to its holder', async () => {
    const { store, locks, many } = readThroughOn()
    locks.heldElsewhere.add('b')
    const old = (value: string): string => withHeader(value, Date.now() - 1000) as string
    let finish: (values: string[]) => void = () => {}
    const loader = vi.fn<BatchLoader<string, string>>(
      () => new Promise<string[]>((resolve) => (finish = resolve)),
    )
    const call = many(['a', 'b', 'c'], loader, { ...withLock, graceMs: 60_000 })
    store.next<ReadReply>('read').release({ values: [old('old a'), old('old b'), null], ttls: [-1, -1, -2] })
    await settled()
    store.next<ReadReply>('read').release(misses(2))
    await settled()
    // a and c locked here, one call; b's lock is held elsewhere for a refresh: its holder refreshes it.
    expect(loader.mock.calls.map(([keys, ctx]) => [keys, [...ctx.stale]])).toEqual([
      [['a', 'c'], [['a', 'old a']]],
    ])
    finish(['new a', 'new c'])
    await settled()
    store.next('write').release(undefined)
    // c had no stale value: the call waited for its load; a and b were served stale.
    expect(await call).toEqual(['old a', 'old b', 'new c'])
    expect(locks.attempts).toEqual(['a', 'b', 'c'])
  })

  it('a failing loader: stale keys get their stale value, the call rejects for a key without one', async () => {
    const { store, reported, many } = readThroughOn()
    const old = withHeader('old a', Date.now() - 1000) as string
    const failing: BatchLoader<string, string> = () => {
      throw new Error('source down')
    }
    const load = { ...withLock, graceMs: 60_000, softTimeoutMs: 5_000 }
    const call = many(['a', 'b'], failing, load).catch((error: unknown) => error)
    store.next<ReadReply>('read').release({ values: [old, null], ttls: [-1, -2] })
    await settled()
    store.next<ReadReply>('read').release(misses(2))
    expect(await call).toMatchObject({ code: 'E_LOADER' })
    // Reported once, as a key had a stale value to fall back on.
    expect(reported.map((error) => error.code)).toEqual(['E_LOADER'])
    const served = many(['a'], failing, load)
    store.next<ReadReply>('read').release({ values: [old], ttls: [-1] })
    // Within its back-off the loader is not called again: a falls back to its stale value.
    expect(await served).toEqual(['old a'])
  })

  it('past hardTimeout the call fails with E_LOADER_TIMEOUT, the signal aborts and the locks go', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
    const { store, locks, many } = readThroughOn()
    let signal: AbortSignal | undefined
    const hanging: BatchLoader<string, string> = (_keys, ctx) => {
      signal = ctx.signal
      return new Promise<string[]>(() => {})
    }
    const outcome = many(['a', 'b'], hanging, { ...withLock, hardTimeoutMs: 1_000 }).catch(
      (error: unknown) => error,
    )
    store.next<ReadReply>('read').release(misses(2))
    await settled()
    store.next<ReadReply>('read').release(misses(2))
    await settled()
    await vi.advanceTimersByTimeAsync(999)
    expect(signal?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await outcome).toMatchObject({ code: 'E_LOADER_TIMEOUT', timeoutMs: 1_000 })
    expect(signal?.reason).toMatchObject({ code: 'E_LOADER_TIMEOUT' })
    await settled()
    expect(store.waiting('write')).toBe(0)
    expect(locks.finished).toEqual([
      ['a', 'released'],
      ['b', 'released'],
    ])
  })

  it('when the read fails, loads every key without locks and answers before the store lands', async () => {
    const { store, locks, reported, many } = readThroughOn()
    const loader = vi.fn(loadAll)
    const call = many(['a', 'b'], loader)
    store.next<ReadReply>('read').fail(new RedisUnavailableError('down'))
    expect(await call).toEqual(['v:a', 'v:b'])
    expect(locks.attempts).toEqual([])
    expect(reported.map((error) => error.code)).toEqual(['E_REDIS'])
    // The store goes on in the background.
    store.next('write').release(undefined)
  })

  it('close() while waiting for another holder stops the wait with E_CLOSED, and calls no loader', async () => {
    const { store, readThrough, locks, many } = readThroughOn()
    locks.heldElsewhere.add('a')
    const loader = vi.fn(loadAll)
    const outcome = many(['a'], loader).catch((error: unknown) => error)
    store.next<ReadReply>('read').release(misses(1))
    await settled()
    await readThrough.close(1_000)
    expect(await outcome).toMatchObject({ code: 'E_CLOSED' })
    expect(loader).not.toHaveBeenCalled()
  })
})
