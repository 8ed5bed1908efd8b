import { afterEach, describe, expect, it, vi } from 'vitest'
import { CacheCore } from '../../src/core/cache-core.js'
import { CacheState } from '../../src/core/cache-state.js'
import type { Flight } from '../../src/core/reads.js'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { withHeader } from '../../src/entry/entry-header.js'
import {
  CacheClosedError,
  type FlipCacheError,
  LoaderTimeoutError,
  RedisUnavailableError,
} from '../../src/errors.js'
import type { ResolvedLoad } from '../../src/loading/load-options.js'
import { type LoaderContext, ReadThrough } from '../../src/loading/read-through.js'
import { LocalTier } from '../../src/local/local-tier.js'
import type { KeyWatch } from '../../src/lock/lock-notices.js'
import type { Locks } from '../../src/lock/locks.js'
import type { RedisLock } from '../../src/lock/redis-lock.js'
import type { ReadReply } from '../../src/redis/transport-view.js'
import type { TagStore } from '../../src/store/tag-keys.js'
import { stringCodec } from '../../src/types/scalar-codecs.js'
import { track } from '../support/fake-redis-client.js'
import { manualCoreConfig } from '../support/manual-core.js'
import { ManualStore } from '../support/manual-store.js'
import { ManualTags } from '../support/manual-tags.js'

/** Lets every promise callback that can run, run (fake timers leave setImmediate alone here). */
const settled = async (): Promise<void> => {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve))
}

const noLock: ResolvedLoad = {
  expireMs: 60_000,
  graceMs: 0,
  refreshAhead: undefined,
  softTimeoutMs: 0,
  hardTimeoutMs: undefined,
  lock: undefined,
}

/** Locks whose outcome the test decides: `acquire` answers from `grants`, notices come from `notify`. */
class FakeLocks {
  /** What each acquire() answers, in turn (a promise: when the test settles it); then `true`. */
  readonly grants: (boolean | Promise<boolean>)[] = []
  /** Locks let go of: 'release' (ours, given back) or 'discard' (an acquisition of unknown outcome). */
  readonly letGo: string[] = []
  readonly finished: [key: string, outcome: string][] = []
  readonly #wakes: (() => void)[] = []

  keyOf(key: string): string {
    return `lock:${key}`
  }

  lock(): RedisLock {
    const lock = {
      acquire: async () => this.grants.shift() ?? true,
      release: async () => {
        this.letGo.push('release')
      },
      discard: async () => {
        this.letGo.push('discard')
      },
    }
    return lock as unknown as RedisLock
  }

  async watch(): Promise<KeyWatch> {
    return {
      next: () => new Promise<void>((resolve) => this.#wakes.push(resolve)),
      stop: () => {},
    }
  }

  /** The holder's notice reaches every waiter. */
  notify(): void {
    for (const wake of this.#wakes.splice(0)) wake()
  }

  wakeAll(): void {
    this.notify()
  }

  async done(key: string, outcome: string): Promise<void> {
    this.finished.push([key, outcome])
  }
}

function readThroughOn(fits: (load: ResolvedLoad) => void = () => {}, tagKeys: TagStore = new ManualTags()) {
  const store = new ManualStore()
  const state = new CacheState<string, Flight<string>>(new LocalTier(100, 60_000))
  const entries = new EntryCodec(stringCodec, undefined, (key) => store.redisKey(key))
  const reported: FlipCacheError[] = []
  const report = (error: FlipCacheError): void => {
    reported.push(error)
  }
  const core = new CacheCore<string>(manualCoreConfig({ store, state, entries, report, tagKeys }))
  const locks = new FakeLocks()
  const readThrough = new ReadThrough<string, string>(core, locks as unknown as Locks, {
    name: 'cache',
    where: (key) => store.redisKey(key),
    report,
    lockRelease: undefined,
    closed: () => new CacheClosedError('test'),
    timeoutMs: 1_000,
    notFound: (value) => value === 'none',
    fits,
  })
  const peek = (key: string): string | undefined => state.peek(key, Date.now())?.value
  return { store, readThrough, reported, locks, peek }
}

const miss: ReadReply = { values: [null], ttls: [-2] }

afterEach(() => {
  vi.useRealTimers()
})

describe('ReadThrough.getOrSet()', () => {
  it('calls the loader once for concurrent misses of one key, and stores its value', async () => {
    const { store, readThrough, peek } = readThroughOn()
    const loader = vi.fn(async () => 'loaded')
    const calls = [1, 2, 3].map(() => readThrough.getOrSet('k', 'k', loader, noLock))
    store.next<ReadReply>('read').release(miss)
    await settled()
    expect(loader).toHaveBeenCalledOnce()
    const write = store.next<void>('write')
    expect(write.args[0]).toEqual([['k', 'loaded']])
    write.release(undefined)
    expect(await Promise.all(calls)).toEqual(['loaded', 'loaded', 'loaded'])
    expect(peek('k')).toBe('loaded')
  })

  it('answers from Redis without calling the loader when the value is fresh there', async () => {
    const { store, readThrough } = readThroughOn()
    const loader = vi.fn(async () => 'loaded')
    const call = readThrough.getOrSet('k', 'k', loader, noLock)
    store.next<ReadReply>('read').release({ values: ['cached'], ttls: [-1] })
    expect(await call).toBe('cached')
    expect(loader).not.toHaveBeenCalled()
  })

  it('serves a stale value within grace at once and refreshes it in the background (softTimeout 0)', async () => {
    const { store, readThrough } = readThroughOn()
    const stale = withHeader('old', Date.now() - 1000) as string
    let finish: (value: string) => void = () => {}
    const loader = vi.fn(() => new Promise<string>((resolve) => (finish = resolve)))
    const call = readThrough.getOrSet('k', 'k', loader, { ...noLock, graceMs: 60_000 })
    store.next<ReadReply>('read').release({ values: [stale], ttls: [-1] })
    expect(await call).toBe('old')
    expect(loader).toHaveBeenCalledWith(expect.objectContaining({ key: 'k', stale: 'old' }))
    finish('new')
    await settled()
    const write = store.next<void>('write')
    expect(write.args[0]).toEqual([['k', expect.stringMatching(/new$/)]])
    write.release(undefined)
  })

  it('falls back to the stale value when the loader fails, and reports the failure', async () => {
    const { store, readThrough, reported } = readThroughOn()
    const stale = withHeader('old', Date.now() - 1000) as string
    const call = readThrough.getOrSet(
      'k',
      'k',
      async () => {
        throw new Error('source down')
      },
      { ...noLock, graceMs: 60_000, softTimeoutMs: 5_000 },
    )
    store.next<ReadReply>('read').release({ values: [stale], ttls: [-1] })
    expect(await call).toBe('old')
    expect(reported.map((error) => error.code)).toEqual(['E_LOADER'])
  })

  it('fails with E_LOADER_TIMEOUT past hardTimeout, and never stores the late value', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
    const { store, readThrough } = readThroughOn()
    let finish: (value: string) => void = () => {}
    let signal: AbortSignal | undefined
    const call = readThrough.getOrSet(
      'k',
      'k',
      (context) => {
        signal = context.signal
        return new Promise<string>((resolve) => (finish = resolve))
      },
      { ...noLock, hardTimeoutMs: 2_000 },
    )
    const outcome = call.then(
      () => 'resolved',
      (error: unknown) => error,
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(await outcome).toBeInstanceOf(LoaderTimeoutError)
    expect(signal?.aborted).toBe(true)
    finish('late')
    await settled()
    expect(store.waiting('write')).toBe(0)
  })

  it('with Redis failing, returns the loaded value at once and keeps it in L1 while the store goes on', async () => {
    const { store, readThrough, reported, peek } = readThroughOn()
    const call = readThrough.getOrSet('k', 'k', async () => 'loaded', noLock)
    store.next<ReadReply>('read').fail(new RedisUnavailableError('Redis is unreachable'))
    expect(await call).toBe('loaded')
    expect(peek('k')).toBe('loaded')
    expect(reported.map((error) => error.code)).toEqual(['E_REDIS'])
    store.next('write').fail(new RedisUnavailableError('still down'))
    await settled()
    expect(peek('k')).toBe('loaded')
  })

  it("waits for another process's lock and takes the holder's value on its notice, without loading", async () => {
    const { store, readThrough, locks } = readThroughOn()
    locks.grants.push(false)
    const loader = vi.fn(async () => 'mine')
    const call = readThrough.getOrSet('k', 'k', loader, {
      ...noLock,
      lock: { ttlMs: 10_000, waitMs: 10_000 },
    })
    store.next<ReadReply>('read').release(miss)
    await settled()
    locks.notify()
    await settled()
    store.next<ReadReply>('read').release({ values: ['theirs'], ttls: [-1] })
    expect(await call).toBe('theirs')
    expect(loader).not.toHaveBeenCalled()
  })

  it('holding the lock, reads Redis again before loading and tells the waiters when done', async () => {
    const { store, readThrough, locks } = readThroughOn()
    const call = readThrough.getOrSet('k', 'k', async () => 'loaded', {
      ...noLock,
      lock: { ttlMs: 10_000, waitMs: 10_000 },
    })
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next('write').release(undefined)
    expect(await call).toBe('loaded')
    await settled()
    expect(locks.finished).toEqual([['k', 'loaded']])
  })
})

describe('ReadThrough.close()', () => {
  const lockOn = { ...noLock, lock: { ttlMs: 10_000, waitMs: 10_000 } }

  it('gives a loader that never settles `ms`, then aborts its signal with E_CLOSED and fails its load; nothing is stored', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
    const { store, readThrough, locks, reported } = readThroughOn()
    let signal: AbortSignal | undefined
    const call = readThrough.getOrSet(
      'k',
      'k',
      (context) => {
        signal = context.signal
        return new Promise<string>(() => {})
      },
      lockOn,
    )
    const outcome = call.then(
      () => 'resolved',
      (error: unknown) => error,
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next<ReadReply>('read').release(miss)
    await settled()
    expect(signal).toBeDefined()
    const closing = readThrough.close(1_000)
    await vi.advanceTimersByTimeAsync(999)
    expect(signal?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await closing
    expect(signal?.reason).toMatchObject({ code: 'E_CLOSED' })
    expect(await outcome).toMatchObject({ code: 'E_CLOSED' })
    await settled()
    expect(store.waiting('write')).toBe(0)
    // The lock was let go, and the waiters told so; the loader's end goes untold.
    expect(locks.finished).toEqual([['k', 'released']])
    expect(reported).toEqual([])
  })

  it('stores the value of a loader that finishes within `ms`, and tells the waiters', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
    const { store, readThrough, locks } = readThroughOn()
    let finish: (value: string) => void = () => {}
    const call = readThrough.getOrSet(
      'k',
      'k',
      () => new Promise<string>((resolve) => (finish = resolve)),
      lockOn,
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next<ReadReply>('read').release(miss)
    await settled()
    const closing = readThrough.close(1_000)
    await vi.advanceTimersByTimeAsync(500)
    finish('loaded')
    await settled()
    store.next('write').release(undefined)
    expect(await call).toBe('loaded')
    await closing
    expect(locks.finished).toEqual([['k', 'loaded']])
  })

  it("stops a caller waiting for another process's holder at once, without calling the loader", async () => {
    const { store, readThrough, locks } = readThroughOn()
    locks.grants.push(false)
    const loader = vi.fn(async () => 'mine')
    const call = readThrough.getOrSet('k', 'k', loader, lockOn)
    const outcome = call.then(
      () => 'resolved',
      (error: unknown) => error,
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    // Waiting for the holder's notice, which never comes; close() wakes it and it gives up.
    await readThrough.close(1_000)
    expect(await outcome).toMatchObject({ code: 'E_CLOSED' })
    expect(loader).not.toHaveBeenCalled()
    expect(store.waiting('read')).toBe(0)
  })

  it('calls no loader for a read that was on its way when the cache closed', async () => {
    const { store, readThrough } = readThroughOn()
    const loader = vi.fn(async () => 'mine')
    const call = readThrough.getOrSet('k', 'k', loader, noLock)
    const closing = readThrough.close(1_000)
    store.next<ReadReply>('read').release(miss)
    await expect(call).rejects.toMatchObject({ code: 'E_CLOSED' })
    await closing
    expect(loader).not.toHaveBeenCalled()
  })
})

describe('ReadThrough.getOrSet() waits for Redis one `timeout` in all', () => {
  const lockOn = { ...noLock, lock: { ttlMs: 10_000, waitMs: 10_000 } }
  const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })

  it('answers once what is left of `timeout` has passed without the store landing, keeping the value in L1 meanwhile', async () => {
    fakeTimers()
    const { store, readThrough, reported, peek, locks } = readThroughOn()
    const call = track(readThrough.getOrSet('k', 'k', async () => 'loaded', lockOn))
    store.next<ReadReply>('read').release(miss)
    await settled()
    // 300 ms pass in the read under the lock: 700 ms are left for the store.
    await vi.advanceTimersByTimeAsync(300)
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next('write')
    await vi.advanceTimersByTimeAsync(699)
    expect(call.state).toBe('pending')
    await vi.advanceTimersByTimeAsync(1)
    expect(call).toMatchObject({ state: 'fulfilled', value: 'loaded' })
    expect(peek('k')).toBe('loaded')
    // The store goes on: it fails later, and that is reported; L1 keeps the value.
    write.fail(new RedisUnavailableError('stalled'))
    await settled()
    expect(reported.map((error) => error.code)).toEqual(['E_REDIS'])
    expect(peek('k')).toBe('loaded')
    // The lock is let go, and the waiters told, after the store.
    expect(locks.letGo).toEqual(['release'])
    expect(locks.finished).toEqual([['k', 'loaded']])
  })

  it('loads without the lock when Redis does not answer it within `timeout`, and lets go of the lock Redis gives late', async () => {
    fakeTimers()
    const { store, readThrough, peek, locks } = readThroughOn()
    let grant: (taken: boolean) => void = () => {}
    locks.grants.push(new Promise<boolean>((resolve) => (grant = resolve)))
    const loader = vi.fn(async () => 'loaded')
    const call = track(readThrough.getOrSet('k', 'k', loader, lockOn))
    store.next<ReadReply>('read').release(miss)
    await settled()
    await vi.advanceTimersByTimeAsync(999)
    expect(loader).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    // No time is left for Redis: the value is kept in L1 and returned; the store goes in the background.
    expect(call).toMatchObject({ state: 'fulfilled', value: 'loaded' })
    expect(loader).toHaveBeenCalledOnce()
    expect(peek('k')).toBe('loaded')
    expect(store.waiting('write')).toBe(1)
    grant(true)
    await settled()
    expect(locks.letGo).toEqual(['release'])
    expect(locks.finished).toEqual([['k', 'released']])
  })

  it('deletes a lock whose acquisition failed, in case Redis applies it later', async () => {
    const { store, readThrough, locks } = readThroughOn()
    locks.grants.push(Promise.reject(new RedisUnavailableError('timed out')))
    const call = readThrough.getOrSet('k', 'k', async () => 'loaded', lockOn)
    store.next<ReadReply>('read').release(miss)
    expect(await call).toBe('loaded')
    await settled()
    expect(locks.letGo).toEqual(['discard'])
  })

  it('a background refresh (no caller waits) waits for its store however long it takes', async () => {
    fakeTimers()
    const { store, readThrough, peek } = readThroughOn()
    const fresh = withHeader('old', Date.now() + 10_000, undefined, Number.POSITIVE_INFINITY) as string
    const load = { ...noLock, refreshAhead: 0.5, expireMs: 20_000 }
    const call = readThrough.getOrSet('k', 'k', async () => 'new', load)
    store.next<ReadReply>('read').release({ values: [fresh], ttls: [-1] })
    expect(await call).toBe('old')
    await settled()
    const write = store.next('write')
    await vi.advanceTimersByTimeAsync(5_000)
    // Not given up on after `timeout`: L1 still holds what Redis had, until the store lands.
    expect(peek('k')).toBe('old')
    write.release(undefined)
    await settled()
    expect(peek('k')).toBe('new')
  })
})

describe("ReadThrough: the loader's decisions (ctx.setTtl, ctx.skip, ctx.fail, not found)", () => {
  const lockOn = { ...noLock, lock: { ttlMs: 10_000, waitMs: 10_000 } }

  it('ctx.setTtl stores the value with its freshness and grace instead of the call’s', async () => {
    const { store, readThrough } = readThroughOn()
    const call = readThrough.getOrSet(
      'k',
      'k',
      ({ setTtl }) => {
        setTtl('5s', { grace: 2_000 })
        return 'token'
      },
      { ...noLock, expireMs: 60_000 },
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next<void>('write')
    // Freshness 5 s plus 2 s of grace: the TTL, and a header (the grace needs a fresh-until time).
    expect(write.args[1]).toBe(7_000)
    expect(write.args[0]).toEqual([['k', expect.stringMatching(/token$/)]])
    expect(write.args[0]).not.toEqual([['k', 'token']])
    write.release(undefined)
    expect(await call).toBe('token')
  })

  it('ctx.setTtl(null) stores without expiry; without a grace option the call’s grace is dropped', async () => {
    const { store, readThrough } = readThroughOn()
    const call = readThrough.getOrSet(
      'k',
      'k',
      (ctx) => {
        ctx.setTtl(null)
        return 'forever'
      },
      { ...noLock, graceMs: 60_000, refreshAhead: 0.5 },
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next<void>('write')
    expect(write.args).toEqual([[['k', 'forever']], null])
    write.release(undefined)
    expect(await call).toBe('forever')
  })

  it('ctx.setTtl refuses a bad duration, a grace without expiry and a grace the storage cannot keep, naming them', async () => {
    const refused: unknown[] = []
    const { store, readThrough } = readThroughOn()
    const call = readThrough.getOrSet(
      'k',
      'k',
      (ctx) => {
        for (const attempt of [
          () => ctx.setTtl('soon' as never),
          () => ctx.setTtl(-5),
          () => ctx.setTtl(null, { grace: '1m' }),
          () => ctx.setTtl('1m', { grace: -1 }),
          () => ctx.setTtl('1m', { stale: 1 } as never),
        ]) {
          try {
            attempt()
          } catch (error) {
            refused.push(error)
          }
        }
        return 'loaded'
      },
      noLock,
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next<void>('write')
    // Every attempt was refused: the call's own expireTime stands.
    expect(write.args[1]).toBe(60_000)
    write.release(undefined)
    expect(await call).toBe('loaded')
    expect(refused.map((error) => (error as Error).constructor.name)).toEqual(Array(5).fill('TypeError'))
    expect(refused.map((error) => (error as Error).message)).toEqual([
      expect.stringContaining('Invalid `ctx.setTtl(expireTime)`'),
      expect.stringContaining('Invalid `ctx.setTtl(expireTime)`: Expected a duration in whole milliseconds'),
      expect.stringContaining('`grace` needs an `expireTime`'),
      expect.stringContaining('Invalid `ctx.setTtl(…, { grace })`'),
      expect.stringContaining('Unknown ctx.setTtl() option `stale`'),
    ])
  })

  it('ctx.setTtl refuses a grace that would shorten the freshness of a call with refreshAhead (it would refresh at every read)', async () => {
    const { store, readThrough } = readThroughOn()
    const refused: unknown[] = []
    const call = readThrough.getOrSet(
      'k',
      'k',
      (ctx) => {
        try {
          ctx.setTtl('1m', { grace: '1m' })
        } catch (error) {
          refused.push(error)
        }
        // Longer than the call's expireTime, or without a grace: accepted, and not refreshed ahead.
        ctx.setTtl('2h', { grace: '1m' })
        return 'loaded'
      },
      { ...noLock, expireMs: 3_600_000, refreshAhead: 0.8 },
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next<void>('write')
    expect(write.args[1]).toBe(7_260_000)
    write.release(undefined)
    expect(await call).toBe('loaded')
    expect(refused).toEqual([
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/refreshAhead/) }),
    ])
  })

  it("ctx.setTtl is checked against the storage (the cache's `fits`)", async () => {
    const { store, readThrough } = readThroughOn((load) => {
      if (load.graceMs > 0) throw new TypeError('`grace` keeps a fresh-until time in a header')
    })
    const call = readThrough.getOrSet(
      'k',
      'k',
      (ctx) => {
        ctx.setTtl('1m', { grace: '1m' })
        return 'loaded'
      },
      noLock,
    )
    store.next<ReadReply>('read').release(miss)
    await expect(call).rejects.toMatchObject({
      code: 'E_LOADER',
      cause: { name: 'TypeError', message: expect.stringContaining('header') },
    })
    expect(store.waiting('write')).toBe(0)
  })

  it('refuses a decision taken after the loader returned: the value was stored as it stood', async () => {
    const { store, readThrough } = readThroughOn()
    let late: LoaderContext<string, string> | undefined
    const call = readThrough.getOrSet(
      'k',
      'k',
      (ctx) => {
        late = ctx
        return 'loaded'
      },
      noLock,
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next<void>('write').release(undefined)
    expect(await call).toBe('loaded')
    expect(() => late?.setTtl('1s')).toThrow(/ctx.setTtl\(\) was called after the loader returned/)
    expect(() => late?.skip()).toThrow(TypeError)
    expect(() => late?.fail(new Error('late'))).toThrow(/ctx.fail\(\) was called after/)
  })

  it('ctx.skip stores nothing: every joiner gets the value, the lock is released as given up, the next call loads again', async () => {
    const { store, readThrough, locks, peek } = readThroughOn()
    const loader = vi.fn(({ skip }: LoaderContext<string, string>) => {
      skip()
      return 'uncached'
    })
    const calls = [1, 2].map(() => readThrough.getOrSet('k', 'k', loader, lockOn))
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next<ReadReply>('read').release(miss)
    expect(await Promise.all(calls)).toEqual(['uncached', 'uncached'])
    await settled()
    expect(loader).toHaveBeenCalledOnce()
    expect(store.waiting('write')).toBe(0)
    expect(peek('k')).toBeUndefined()
    // 'released', not 'loaded': waiters elsewhere take the lock and load for themselves.
    expect(locks.finished).toEqual([['k', 'released']])
    const again = readThrough.getOrSet('k', 'k', loader, noLock)
    store.next<ReadReply>('read').release(miss)
    expect(await again).toBe('uncached')
    expect(loader).toHaveBeenCalledTimes(2)
  })

  it('ctx.fail without a stale value rejects every joiner with E_LOADER (cause: the error), stores nothing, and backs off', async () => {
    const { store, readThrough, locks, reported } = readThroughOn()
    const cause = new Error('upstream said 503')
    const loader = vi.fn((ctx: LoaderContext<string, string>) => ctx.fail(cause))
    const calls = [1, 2].map((n) =>
      readThrough.getOrSet('k', 'k', loader, lockOn).then(
        () => `resolved ${n}`,
        (error: unknown) => error,
      ),
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next<ReadReply>('read').release(miss)
    const outcomes = await Promise.all(calls)
    expect(outcomes).toEqual([
      expect.objectContaining({ code: 'E_LOADER', cause }),
      expect.objectContaining({ code: 'E_LOADER', cause }),
    ])
    await settled()
    expect(store.waiting('write')).toBe(0)
    expect(locks.finished).toEqual([['k', 'released']])
    // Nobody was served a fallback, so nothing goes to 'error': the callers have the failure.
    expect(reported).toEqual([])
    // Within the back-off, the same loader is not called again: its failure is handed back.
    const again = readThrough.getOrSet('k', 'k', loader, noLock)
    store.next<ReadReply>('read').release(miss)
    await expect(again).rejects.toMatchObject({ code: 'E_LOADER', cause })
    expect(loader).toHaveBeenCalledOnce()
  })

  it('ctx.fail with a stale value within grace serves it, reports E_LOADER and leaves the stale entry as it is', async () => {
    const { store, readThrough, reported } = readThroughOn()
    const stale = withHeader('old', Date.now() - 1000) as string
    const call = readThrough.getOrSet(
      'k',
      'k',
      ({ fail }) => {
        try {
          fail(new Error('invalid item'))
        } catch {
          // A loader that catches what fail() throws fails all the same.
        }
        return 'not to be stored'
      },
      { ...noLock, graceMs: 60_000, softTimeoutMs: 5_000 },
    )
    store.next<ReadReply>('read').release({ values: [stale], ttls: [-1] })
    expect(await call).toBe('old')
    await settled()
    expect(store.waiting('write')).toBe(0)
    expect(reported).toEqual([
      expect.objectContaining({ code: 'E_LOADER', cause: new Error('invalid item') }),
    ])
  })

  it('a "not found" result is stored for the call’s expireTime without grace or header, so it is never served stale', async () => {
    const { store, readThrough } = readThroughOn()
    const call = readThrough.getOrSet('k', 'k', async () => 'none', { ...noLock, graceMs: 60_000 })
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next<void>('write')
    expect(write.args).toEqual([[['k', 'none']], 60_000])
    write.release(undefined)
    expect(await call).toBe('none')
  })

  it('notFoundMs sets how long a "not found" is kept, and false keeps it nowhere', async () => {
    const { store, readThrough, locks, peek } = readThroughOn()
    const short = readThrough.getOrSet('a', 'a', async () => 'none', { ...noLock, notFoundMs: 1_000 })
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next<void>('write')
    expect(write.args).toEqual([[['a', 'none']], 1_000])
    write.release(undefined)
    expect(await short).toBe('none')
    const unkept = readThrough.getOrSet('b', 'b', async () => 'none', { ...lockOn, notFoundMs: false })
    store.next<ReadReply>('read').release(miss)
    await settled()
    store.next<ReadReply>('read').release(miss)
    expect(await unkept).toBe('none')
    await settled()
    expect(store.waiting('write')).toBe(0)
    expect(peek('b')).toBeUndefined()
    expect(locks.finished).toEqual([['b', 'released']])
    // A found value under the same options keeps the call's expireTime.
    const found = readThrough.getOrSet('c', 'c', async () => 'here', { ...noLock, notFoundMs: 1_000 })
    store.next<ReadReply>('read').release(miss)
    await settled()
    const foundWrite = store.next<void>('write')
    expect(foundWrite.args[1]).toBe(60_000)
    foundWrite.release(undefined)
    expect(await found).toBe('here')
  })

  it('ctx.setTtl wins over notFoundTtl for a "not found" result', async () => {
    const { store, readThrough } = readThroughOn()
    const call = readThrough.getOrSet(
      'k',
      'k',
      (ctx) => {
        ctx.setTtl('3s')
        return 'none'
      },
      { ...noLock, notFoundMs: false },
    )
    store.next<ReadReply>('read').release(miss)
    await settled()
    const write = store.next<void>('write')
    expect(write.args[1]).toBe(3_000)
    write.release(undefined)
    expect(await call).toBe('none')
  })

  it('a caller joining a running load gets its value, stored with the running load’s options; its own loader is not called', async () => {
    const { store, readThrough } = readThroughOn()
    let finish: (value: string) => void = () => {}
    const first = vi.fn(() => new Promise<string>((resolve) => (finish = resolve)))
    const second = vi.fn(async () => 'second')
    const leading = readThrough.getOrSet('k', 'k', first, { ...noLock, expireMs: 10_000 })
    store.next<ReadReply>('read').release(miss)
    await settled()
    const joining = readThrough.getOrSet('k', 'k', second, { ...noLock, expireMs: 99_000, graceMs: 5_000 })
    store.next<ReadReply>('read').release(miss)
    await settled()
    finish('first')
    await settled()
    const write = store.next<void>('write')
    expect(write.args).toEqual([[['k', 'first']], 10_000])
    write.release(undefined)
    expect(await Promise.all([leading, joining])).toEqual(['first', 'first'])
    expect(second).not.toHaveBeenCalled()
  })

  describe('ReadThrough.getOrSet() with tags when Redis fails', () => {
    it("serves the loaded value and keeps it nowhere when the tags' counts cannot be read", async () => {
      const down = new RedisUnavailableError('Redis is unreachable')
      const tagKeys: TagStore = {
        read: () => Promise.reject(down),
        raise: () => Promise.reject(down),
      }
      const { store, readThrough, reported, peek } = readThroughOn(undefined, tagKeys)
      const loading = readThrough.getOrSet('k', 'k', async () => 'loaded', { ...noLock, tags: ['t'] })
      store.next<ReadReply>('read').fail(down)
      expect(await loading).toBe('loaded')
      expect(store.waiting('write')).toBe(0)
      expect(peek('k')).toBeUndefined()
      expect(reported.map((error) => error.code)).toContain('E_REDIS')
    })
  })
})
