import { describe, expect, it, vi } from 'vitest'
import {
  type BatchLoader,
  ErrorCode,
  type FlipCacheError,
  LoaderResultError,
  type LockLostError,
} from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { commandCalls, countCommands } from '../support/command-stats.js'
import { gate } from '../support/fake-clock.js'
import { useOwnServer } from '../support/own-server.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

// These tests count commands and round trips: they run on a server of their own.
const own = useOwnServer()

/** A loader of `v:<key>` for each key, counting how often each key was loaded. */
function countingLoader(loads = new Map<string, number>()) {
  const loader = vi.fn<BatchLoader<string, string>>((keys) => {
    for (const key of keys) loads.set(key, (loads.get(key) ?? 0) + 1)
    return keys.map((key) => `v:${key}`)
  })
  return { loader, loads }
}

describe('getOrSetMany()', () => {
  const caches = useCaches(() => own.server.url)
  const { client } = caches
  // The heartbeat's own PUBLISH would land in some of the counts: it is off here.
  const cache: typeof caches.cache = (options = {}, name) =>
    caches.cache({ maxStaleness: false, ...options }, name)

  it('returns values in key order: L1 hits locally, Redis hits read, one loader call with exactly the missing keys', async () => {
    const flip = cache<string, string>({ valueType: 'string' })
    await flip.set('inL1', 'one')
    // Written by another program (no sync message, which could reach flip after its read and
    // rightly drop the copy that read kept: the second call below must find every key in L1).
    await own.admin.set(`${flip.name}:inRedis`, 'two')
    await flip.ready()
    const { loader } = countingLoader()
    const values = await flip.getOrSetMany(['a', 'inL1', 'inRedis', 'b', 'a'], loader)
    expect(values).toEqual(['v:a', 'one', 'two', 'v:b', 'v:a'])
    expect(loader).toHaveBeenCalledTimes(1)
    expect(loader.mock.calls[0]?.[0]).toEqual(['a', 'b'])
    expect(loader.mock.calls[0]?.[1].keys).toEqual(['a', 'b'])
    // The locks are released (and waiters told) after the call has its values.
    await vi.waitFor(async () => expect(await own.admin.keys('_lock:*')).toEqual([]))
    // Stored: a second call reads everything from L1 without Redis or the loader.
    const commands = await countCommands(own.admin, async () => {
      expect(await flip.getOrSetMany(['b', 'inRedis', 'a', 'inL1'], loader)).toEqual([
        'v:b',
        'two',
        'v:a',
        'one',
      ])
    })
    expect(commands).toEqual({})
    expect(loader).toHaveBeenCalledTimes(1)
    expect(await own.admin.get(`${flip.name}:a`)).not.toBeNull()
  })

  it('reads every key in one round trip, locks the missing ones in one, and stores them in one write', async () => {
    const redis = client()
    const flip = cache<string, string>({ redis, valueType: 'string', localMax: 0 })
    await flip.ready()
    const keys = Array.from({ length: 20 }, (_, index) => `k${index}`)
    await redis.set(`${flip.name}:k0`, 'x')
    const { loader } = countingLoader()
    const trips = countRoundTrips(redis)
    let values: string[] = []
    const published = (await commandCalls(own.admin)).publish ?? 0
    const commands = await countCommands(own.admin, async () => {
      values = await flip.getOrSetMany(keys, loader)
      // The locks are released, then their waiters told, after the call has its values.
      await vi.waitFor(async () => {
        expect(await own.admin.keys('_lock:*')).toEqual([])
        expect((await commandCalls(own.admin)).publish ?? 0).toBeGreaterThan(published)
      })
    })
    expect(values).toEqual(['x', ...keys.slice(1).map((key) => `v:${key}`)])
    expect(loader.mock.calls[0]?.[0]).toEqual(keys.slice(1))
    // The read; the locks' script with the read under them (one pipeline); the store; then the
    // releases' script, then the notices' message.
    expect(trips.count).toBe(5)
    // One script takes the 19 locks (the SETs it runs count too), then the read under them; one
    // MSET; one script releases the 19 locks (GET and DEL each), one message tells their waiters.
    expect(commands).toMatchObject({ mget: 2, set: 19, mset: 1, eval: 2, publish: 1 })
    expect(await own.admin.get(`${flip.name}:k19`)).not.toBeNull()
  })

  it('with all keys in Redis costs one round trip, whatever their number', async () => {
    const redis = client()
    const flip = cache<string, string>({ redis, valueType: 'string', localMax: 0 })
    const keys = Array.from({ length: 50 }, (_, index) => `k${index}`)
    await flip.setMany(keys.map((key) => [key, `s:${key}`]))
    const { loader } = countingLoader()
    const trips = countRoundTrips(redis)
    expect(await flip.getOrSetMany(keys, loader)).toEqual(keys.map((key) => `s:${key}`))
    expect(trips.count).toBe(1)
    expect(loader).not.toHaveBeenCalled()
  })

  it('empty keys give [] without calling the loader; bad keys and loaders are TypeErrors', async () => {
    const flip = cache<number, string>({ keyType: 'int', valueType: 'string' })
    const { loader } = countingLoader()
    expect(await flip.getOrSetMany([], loader as never)).toEqual([])
    expect(loader).not.toHaveBeenCalled()
    await expect(flip.getOrSetMany(['x' as never], loader as never)).rejects.toThrow(TypeError)
    await expect(flip.getOrSetMany([1], 'nope' as never)).rejects.toThrow(/loader to be a function/)
    await expect(flip.getOrSetMany([1], loader as never, { grace: -1 })).rejects.toThrow(TypeError)
  })

  it('matches a Map by key encoding (typed keys), and a wrong result is E_LOADER_RESULT naming the keys', async () => {
    const flip = cache<number, string>({ keyType: 'int', valueType: 'string' })
    const fromMap = await flip.getOrSetMany([1, 2, 3], (keys) => new Map(keys.map((key) => [key, `n${key}`])))
    expect(fromMap).toEqual(['n1', 'n2', 'n3'])
    const wrong: [string, BatchLoader<number, string>][] = [
      ['returned 1 values for 2 keys', () => ['only']],
      ['missing', () => new Map([[10, 'ten']])],
      [
        'not asked for',
        () =>
          new Map([
            [10, 'ten'],
            [11, 'eleven'],
            [12, 'twelve'],
          ]),
      ],
      ['expected a Map or an array', () => ({ 10: 'ten' }) as never],
    ]
    for (const [message, loader] of wrong) {
      const error = await flip.getOrSetMany([10, 11], loader).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(LoaderResultError)
      expect((error as FlipCacheError).code).toBe(ErrorCode.loaderResult)
      expect((error as Error).message).toContain(message)
      // Back-off after a failure: wait it out with the next loader (another function, so it runs).
    }
    const missing = (await flip
      .getOrSetMany([10, 11], () => new Map([[10, 'ten']]))
      .catch((caught: unknown) => caught)) as LoaderResultError
    expect(missing.missing).toEqual([`${flip.name}:11`])
    expect(await own.admin.exists(`${flip.name}:10`, `${flip.name}:11`)).toBe(0)
  })

  it('a key loading through getOrSet is joined, not loaded again, and getOrSet joins a batch load', async () => {
    const flip = cache<string, string>({ valueType: 'string' })
    const finish = gate()
    const single = vi.fn(async () => {
      await finish.opened
      return 'single'
    })
    const first = flip.getOrSet('a', single)
    await vi.waitFor(async () => expect(await own.admin.exists(`_lock:${flip.name}:a`)).toBe(1))
    const { loader } = countingLoader()
    const batch = flip.getOrSetMany(['a', 'b'], loader)
    await vi.waitFor(() => expect(loader).toHaveBeenCalledTimes(1))
    expect(loader.mock.calls[0]?.[0]).toEqual(['b'])
    finish.open()
    expect(await batch).toEqual(['single', 'v:b'])
    expect(await first).toBe('single')

    const slow = gate()
    const batchLoader = vi.fn<BatchLoader<string, string>>(async (keys) => {
      await slow.opened
      return keys.map((key) => `batch:${key}`)
    })
    const loading = flip.getOrSetMany(['c', 'd'], batchLoader)
    await vi.waitFor(() => expect(batchLoader).toHaveBeenCalledTimes(1))
    const joining = flip.getOrSet('d', single)
    slow.open()
    expect(await Promise.all([loading, joining])).toEqual([['batch:c', 'batch:d'], 'batch:d'])
    expect(single).toHaveBeenCalledTimes(1)
  })

  it('two processes calling getOrSetMany and getOrSet over overlapping keys load each key once in all', async () => {
    const name = cache().name
    const lock = { ttl: 5_000, wait: 10_000 }
    const one = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    const two = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    await Promise.all([one.ready(), two.ready()])
    const loads = new Map<string, number>()
    const { loader } = countingLoader(loads)
    const keys = Array.from({ length: 30 }, (_, index) => `k${index}`)
    const single = (key: string) => async () => {
      loads.set(key, (loads.get(key) ?? 0) + 1)
      return `v:${key}`
    }
    const results = await Promise.all([
      one.getOrSetMany(keys.slice(0, 20), loader),
      two.getOrSetMany(keys.slice(10, 30).reverse(), loader),
      one.getOrSetMany(keys.slice(5, 25), loader),
      ...keys.slice(0, 30).map((key, index) => (index % 2 === 0 ? one : two).getOrSet(key, single(key))),
    ])
    expect(results[0]).toEqual(keys.slice(0, 20).map((key) => `v:${key}`))
    expect(results[1]).toEqual(
      keys
        .slice(10, 30)
        .reverse()
        .map((key) => `v:${key}`),
    )
    expect(results[2]).toEqual(keys.slice(5, 25).map((key) => `v:${key}`))
    expect(results.slice(3)).toEqual(keys.map((key) => `v:${key}`))
    expect([...loads.keys()].sort()).toEqual([...keys].sort())
    for (const key of keys) expect(loads.get(key), key).toBe(1)
  })

  it('a process waits for the keys another holds and loads only its own', async () => {
    const name = cache().name
    const lock = { ttl: 5_000, wait: 10_000 }
    const holder = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    const waiter = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    await Promise.all([holder.ready(), waiter.ready()])
    const finish = gate()
    const holding = holder.getOrSetMany(['a', 'b'], async (keys) => {
      await finish.opened
      return keys.map((key) => `held:${key}`)
    })
    await vi.waitFor(async () => expect(await own.admin.exists(`_lock:${name}:a`, `_lock:${name}:b`)).toBe(2))
    const { loader } = countingLoader()
    const waiting = waiter.getOrSetMany(['a', 'c', 'b', 'd'], loader)
    // The waiter's own keys are loaded while it still waits for the holder's.
    await vi.waitFor(() => expect(loader).toHaveBeenCalledTimes(1))
    expect(loader.mock.calls[0]?.[0]).toEqual(['c', 'd'])
    finish.open()
    expect(await waiting).toEqual(['held:a', 'v:c', 'held:b', 'v:d'])
    expect(await holding).toEqual(['held:a', 'held:b'])
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('hears of a lock lost while its loader ran (the group renewal found it gone), and keeps the others', async () => {
    const lost: LockLostError[] = []
    const flip = cache<string, string>({
      redis: client(),
      valueType: 'string',
      lock: { ttl: 1_000 },
      lockRelease: (error) => lost.push(error),
    })
    const values = await flip.getOrSetMany(['a', 'b', 'c'], async (keys) => {
      await own.admin.del(`_lock:${flip.name}:b`)
      // The loader runs until the next renewal of the batch's locks (every 500 ms) found b's gone.
      await vi.waitFor(() => expect(lost).toHaveLength(1), { timeout: 5_000 })
      expect(await own.admin.exists(`_lock:${flip.name}:a`, `_lock:${flip.name}:c`)).toBe(2)
      return keys.map((key) => `v:${key}`)
    })
    expect(values).toEqual(['v:a', 'v:b', 'v:c'])
    await vi.waitFor(async () => expect(await own.admin.keys(`_lock:${flip.name}:*`)).toEqual([]))
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatchObject({ code: 'E_LOCK_LOST', key: `_lock:${flip.name}:b` })
  })

  it('releases only the locks that still hold its token, and hears of the one taken over', async () => {
    const lost: LockLostError[] = []
    const flip = cache<string, string>({
      redis: client(),
      valueType: 'string',
      lock: { ttl: 10_000 },
      lockRelease: (error) => lost.push(error),
    })
    const values = await flip.getOrSetMany(['a', 'b', 'c'], async (keys) => {
      // b's lock expired and another process took it.
      await own.admin.set(`_lock:${flip.name}:b`, 'theirs', 'PX', 10_000)
      return keys.map((key) => `v:${key}`)
    })
    expect(values).toEqual(['v:a', 'v:b', 'v:c'])
    await vi.waitFor(() => expect(lost).toHaveLength(1))
    expect(lost[0]).toMatchObject({ code: 'E_LOCK_LOST', key: `_lock:${flip.name}:b` })
    expect(await own.admin.keys(`_lock:${flip.name}:*`)).toEqual([`_lock:${flip.name}:b`])
    expect(await own.admin.get(`_lock:${flip.name}:b`)).toBe('theirs')
  })

  it('loads the keys whose holder gave up in one more loader call', async () => {
    const name = cache().name
    const lock = { ttl: 5_000, wait: 10_000 }
    const holder = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    const waiter = cache<string, string>({ redis: client(), valueType: 'string', lock }, name)
    await Promise.all([holder.ready(), waiter.ready()])
    const finish = gate()
    const holding = holder.getOrSetMany(['a'], async () => {
      await finish.opened
      throw new Error('source down')
    })
    await vi.waitFor(async () => expect(await own.admin.exists(`_lock:${name}:a`)).toBe(1))
    const { loader } = countingLoader()
    const waiting = waiter.getOrSetMany(['a', 'b'], loader)
    await vi.waitFor(() => expect(loader).toHaveBeenCalledTimes(1))
    finish.open()
    await expect(holding).rejects.toMatchObject({ code: ErrorCode.loader })
    expect(await waiting).toEqual(['v:a', 'v:b'])
    expect(loader.mock.calls.map(([keys]) => keys)).toEqual([['b'], ['a']])
  })

  it('serves stale values within grace when the loader fails, and rejects when a key has none', async () => {
    const errors: FlipCacheError[] = []
    const flip = cache<string, string>({ valueType: 'string', localMax: 0 })
    flip.on('error', (error) => errors.push(error))
    const options = { expireTime: '1s', grace: '1h', timeout: 5_000 } as const
    expect(await flip.getOrSetMany(['a', 'b'], (keys) => keys.map((key) => `old:${key}`), options)).toEqual([
      'old:a',
      'old:b',
    ])
    // Past expireTime: the values are stale, within grace; the failing loader is given them.
    const given: Map<string, string>[] = []
    const failing: BatchLoader<string, string> = (_keys, ctx) => {
      given.push(ctx.stale)
      throw new Error('source down')
    }
    await vi.waitFor(
      async () => {
        expect(await flip.getOrSetMany(['a', 'b'], failing, options)).toEqual(['old:a', 'old:b'])
        expect(given.length).toBeGreaterThan(0)
      },
      { timeout: 5_000, interval: 100 },
    )
    expect(given[0]).toEqual(
      new Map([
        ['a', 'old:a'],
        ['b', 'old:b'],
      ]),
    )
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toContain(ErrorCode.loader))
    const error = await flip
      .getOrSetMany(['a', 'c'], () => Promise.reject(new Error('still down')), options)
      .catch((caught: unknown) => caught)
    expect((error as FlipCacheError).code).toBe(ErrorCode.loader)
  })

  it('a loader past hardTimeout fails with E_LOADER_TIMEOUT, its signal aborted', async () => {
    const flip = cache<string, string>({ valueType: 'string' })
    let signal: AbortSignal | undefined
    const error = await flip
      .getOrSetMany(
        ['a', 'b'],
        (_keys, ctx) => {
          signal = ctx.signal
          return new Promise<string[]>(() => {})
        },
        { hardTimeout: 50 },
      )
      .catch((caught: unknown) => caught)
    expect((error as FlipCacheError).code).toBe(ErrorCode.loaderTimeout)
    expect(signal?.aborted).toBe(true)
  })

  it('backs off after a failure: a second call within the wait gets the failure without calling the loader', async () => {
    const flip = cache<string, string>({ valueType: 'string' })
    const failing = vi.fn<BatchLoader<string, string>>(() => {
      throw new Error('down')
    })
    await expect(flip.getOrSetMany(['a', 'b'], failing)).rejects.toMatchObject({ code: ErrorCode.loader })
    await expect(flip.getOrSetMany(['a', 'b'], failing)).rejects.toMatchObject({ code: ErrorCode.loader })
    expect(failing).toHaveBeenCalledTimes(1)
  })

  it('close() during a batch rejects it with E_CLOSED and lets its locks go', async () => {
    const flip = cache<string, string>({ valueType: 'string' })
    let signal: AbortSignal | undefined
    const loading = flip.getOrSetMany(['a', 'b'], (_keys, ctx) => {
      signal = ctx.signal
      return new Promise<string[]>(() => {})
    })
    await vi.waitFor(() => expect(signal).toBeDefined())
    const rejected = expect(loading).rejects.toMatchObject({ code: ErrorCode.closed })
    await flip.close()
    await rejected
    expect(signal?.aborted).toBe(true)
    expect(await own.admin.exists(`_lock:${flip.name}:a`, `_lock:${flip.name}:b`)).toBe(0)
    await expect(flip.getOrSetMany(['a'], () => ['x'])).rejects.toMatchObject({ code: ErrorCode.closed })
  })
})
