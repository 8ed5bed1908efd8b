import { afterEach, describe, expect, it, vi } from 'vitest'
import { type FlipCacheError, type LoaderContext, LoaderError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A loader that counts its calls and answers `value` after `ms`. */
function slowLoader<V>(value: V, ms = 20) {
  const loader = vi.fn(async (_context: LoaderContext<string, V>) => {
    await sleep(ms)
    return value
  })
  return loader
}

describe('getOrSet()', () => {
  const { cache, client, sharedClient } = useCaches()
  afterEach(() => {
    vi.useRealTimers()
  })

  it('getOrSet() loads a missing key, stores it raw in Redis and L1, and serves it from there after', async () => {
    const users = cache<number, { name: string }>({ keyType: 'int', expireTime: '1m' })
    const loader = vi.fn(async (_context: LoaderContext<number, { name: string }>) => ({ name: 'Ada' }))
    expect(await users.getOrSet(15, loader)).toEqual({ name: 'Ada' })
    expect(loader).toHaveBeenCalledTimes(1)
    expect(loader.mock.calls[0]?.[0]).toMatchObject({ key: 15, stale: undefined })
    expect(await sharedClient().get(`${users.name}:15`)).toBe('{"name":"Ada"}')
    expect(await users.ttl(15)).toBeGreaterThan(55_000)
    expect(await users.getOrSet(15, loader)).toEqual({ name: 'Ada' })
    expect(loader).toHaveBeenCalledTimes(1)
    const other = cache<number, { name: string }>({ keyType: 'int' }, users.name)
    expect(await other.getOrSet(15, loader)).toEqual({ name: 'Ada' })
    expect(loader).toHaveBeenCalledTimes(1)
    expect(await users.get(15)).toEqual({ name: 'Ada' })
  })

  it('getOrSet() calls the loader once for 200 concurrent misses across two instances on separate clients', async () => {
    const first = cache<string, number>({ redis: client(), valueType: 'int' })
    const second = cache<string, number>({ redis: client(), valueType: 'int' }, first.name)
    const loader = slowLoader(42, 50)
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, index) => (index % 2 === 0 ? first : second).getOrSet('hot', loader)),
    )
    expect(loader).toHaveBeenCalledTimes(1)
    expect(new Set(results)).toEqual(new Set([42]))
    expect(await sharedClient().keys('_lock:*')).not.toContain(`_lock:${first.name}:hot`)
  })

  it('getOrSet() keeps the lock under lockPrefix while loading and removes it after', async () => {
    const items = cache<string, string>({ valueType: 'string', lockPrefix: '_flip_lock:' })
    let lockSeen: string | null = null
    const value = await items.getOrSet('k', async () => {
      lockSeen = await sharedClient().get(`_flip_lock:${items.name}:k`)
      return 'v'
    })
    expect(value).toBe('v')
    expect(lockSeen).toMatch(/^[\w-]{16}$/)
    await sleep(20)
    expect(await sharedClient().exists(`_flip_lock:${items.name}:k`)).toBe(0)
  })

  it('getOrSet() with lock: false runs the in-process single-flight only', async () => {
    const items = cache<string, string>({ valueType: 'string', lock: false })
    const loader = slowLoader('v')
    expect(await Promise.all([items.getOrSet('k', loader), items.getOrSet('k', loader)])).toEqual(['v', 'v'])
    expect(loader).toHaveBeenCalledTimes(1)
    const other = cache<string, string>({ valueType: 'string', lock: false, localMax: 0 }, items.name)
    await other.delete('k')
    const racing = cache<string, string>({ redis: client(), valueType: 'string', lock: false }, items.name)
    const second = slowLoader('v2', 30)
    await Promise.all([other.getOrSet('k', second), racing.getOrSet('k', second)])
    expect(second).toHaveBeenCalledTimes(2)
  })

  it('getOrSet() rejects with E_LOADER (cause = the error) when the loader throws and nothing stale exists', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    const cause = new Error('database down')
    const error = await items
      .getOrSet('k', () => {
        throw cause
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(LoaderError)
    expect(error).toMatchObject({ code: 'E_LOADER', cause })
    expect(await items.has('k')).toBe(false)
  })

  it('getOrSet() backs off after failures: calls within the wait get the failure without a loader call', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    const loader = vi.fn(async (): Promise<string> => {
      throw new Error('broken source')
    })
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(loader).toHaveBeenCalledTimes(1)
    await sleep(120)
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(loader).toHaveBeenCalledTimes(2)
    // The second failure doubles the wait.
    await sleep(120)
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(loader).toHaveBeenCalledTimes(2)
    await sleep(100)
    expect(await items.getOrSet('k', async () => 'fixed')).toBe('fixed')
  })

  it('getOrSet() rejects with E_LOADER_TIMEOUT past hardTimeout, aborts the loader’s signal, and does not store a late value', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    let signal: AbortSignal | undefined
    const startedAt = performance.now()
    const error = await items
      .getOrSet(
        'k',
        async (context) => {
          signal = context.signal
          await sleep(300)
          return 'late'
        },
        { hardTimeout: 60 },
      )
      .catch((caught: unknown) => caught)
    expect(performance.now() - startedAt).toBeLessThan(250)
    expect(error).toMatchObject({ code: 'E_LOADER_TIMEOUT' })
    expect(signal?.aborted).toBe(true)
    expect(signal?.reason).toBe(error)
    // The loader finishes anyway: its late value is not stored over what was written meanwhile.
    await items.set('k', 'written meanwhile')
    await sleep(300)
    expect(await sharedClient().get(`${items.name}:k`)).toBe('written meanwhile')
  })

  it('getOrSet() stores values written with grace behind a header and Redis TTL expireTime + grace', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.getOrSet('k', async () => 'v', { expireTime: '10s', grace: '1h' })
    const raw = (await sharedClient().get(`${items.name}:k`)) as string
    expect(raw.startsWith('\0A')).toBe(true)
    expect(raw.endsWith('v')).toBe(true)
    expect(await sharedClient().pttl(`${items.name}:k`)).toBeGreaterThan(3_600_000)
    expect(await items.get('k')).toBe('v')
  })

  it('getOrSet() within grace returns the stale value at once and refreshes it in the background', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: 80, grace: '10s' })
    await items.getOrSet('k', async () => 'old')
    await sleep(100)
    // Stale: a plain get() says miss, getOrSet() serves it while it refreshes.
    expect(await items.get('k')).toBeUndefined()
    const loader = slowLoader('new', 40)
    const startedAt = performance.now()
    expect(await items.getOrSet('k', loader)).toBe('old')
    expect(performance.now() - startedAt).toBeLessThan(35)
    await sleep(80)
    expect(loader).toHaveBeenCalledTimes(1)
    expect(loader.mock.calls[0]?.[0]).toMatchObject({ stale: 'old' })
    expect(await items.getOrSet('k', loader)).toBe('new')
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('getOrSet() within grace refreshes once across instances', async () => {
    const first = cache<string, string>({
      redis: client(),
      valueType: 'string',
      expireTime: 60,
      grace: '10s',
    })
    const second = cache<string, string>(
      { redis: client(), valueType: 'string', expireTime: 60, grace: '10s' },
      first.name,
    )
    await first.getOrSet('k', async () => 'old')
    await sleep(80)
    const loader = slowLoader('new', 60)
    const served = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).getOrSet('k', loader)),
    )
    expect(new Set(served)).toEqual(new Set(['old']))
    await sleep(120)
    expect(loader).toHaveBeenCalledTimes(1)
    expect(await second.getOrSet('k', loader)).toBe('new')
  })

  it('getOrSet() with a soft timeout waits that long for a fresh value, then serves the stale one', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' })
    await items.getOrSet('k', async () => 'old')
    await sleep(70)
    expect(await items.getOrSet('k', slowLoader('quick', 5), { timeout: 100 })).toBe('quick')
    await sleep(70)
    const startedAt = performance.now()
    expect(await items.getOrSet('k', slowLoader('slow', 200), { timeout: 40 })).toBe('quick')
    expect(performance.now() - startedAt).toBeLessThan(150)
    await sleep(250)
    expect(await items.getOrSet('k', slowLoader('unused'))).toBe('slow')
  })

  it('getOrSet() fails safe: a failing loader within grace serves the stale value and reports E_LOADER', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' })
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    await items.getOrSet('k', async () => 'old')
    await sleep(70)
    const cause = new Error('source down')
    expect(
      await items.getOrSet(
        'k',
        async () => {
          throw cause
        },
        { timeout: 200 },
      ),
    ).toBe('old')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'E_LOADER', cause })
    // The failure was not cached: the stale value is still the one in Redis.
    const raw = (await sharedClient().get(`${items.name}:k`)) as string
    expect(raw.endsWith('old')).toBe(true)
  })

  it('getOrSet() with refreshAhead refreshes a fresh value in the background after that fraction of expireTime', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: 200, refreshAhead: 0.5 })
    await items.getOrSet('k', async () => 'one')
    const loader = slowLoader('two', 10)
    expect(await items.getOrSet('k', loader)).toBe('one')
    expect(loader).not.toHaveBeenCalled()
    await sleep(120)
    expect(await items.getOrSet('k', loader)).toBe('one')
    await sleep(40)
    expect(loader).toHaveBeenCalledTimes(1)
    expect(await items.getOrSet('k', loader)).toBe('two')
    expect(await items.get('k')).toBe('two')
  })

  it('getOrSet() validates its options and the loader with TypeErrors', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await expect(items.getOrSet('k', 'nope' as never)).rejects.toThrow(/loader to be a function/)
    await expect(items.getOrSet('k', async () => 'v', { grace: '1m' })).rejects.toThrow(/grace.*expireTime/)
    await expect(
      items.getOrSet('k', async () => 'v', { expireTime: '1m', refreshAhead: 1.5 }),
    ).rejects.toThrow(/refreshAhead/)
    await expect(items.getOrSet('k', async () => 'v', { lock: { ttl: 0 } })).rejects.toThrow(/lock\.ttl/)
    await expect(items.getOrSet('k', async () => 'v', { lock: { tll: 5 } as never })).rejects.toThrow(/tll/)
    await expect(items.getOrSet('k', async () => 'v', { ttl: 5 } as never)).rejects.toThrow(
      /Unknown getOrSet option/,
    )
    await expect(items.getOrSet('k', async () => 5 as unknown as string)).rejects.toMatchObject({
      code: 'E_LOADER',
      cause: expect.any(TypeError),
    })
  })

  it('the constructor refuses bad getOrSet defaults', () => {
    expect(() => cache({ grace: '1m' })).toThrow(/grace.*expireTime/)
    expect(() => cache({ expireTime: '1m', refreshAhead: 0 })).toThrow(/refreshAhead/)
    expect(() => cache({ lockPrefix: 'a b' })).toThrow(/lockPrefix/)
    expect(() => cache({ lockRelease: 'log' as never })).toThrow(/lockRelease/)
    expect(() => cache({ hardTimeout: -1 })).toThrow(/hardTimeout/)
    expect(() => cache({ loaderTimeout: 'soon' as never })).toThrow(/loaderTimeout/)
  })
})

describe('wrap()', () => {
  const { cache } = useCaches()

  it('wrap() memoizes a function by its first argument through getOrSet', async () => {
    const users = cache<number, { id: number }>({ keyType: 'int' })
    const fetchUser = vi.fn(async (id: number) => ({ id }))
    const cachedUser = users.wrap(fetchUser)
    expect(await Promise.all([cachedUser(1), cachedUser(1), cachedUser(2)])).toEqual([
      { id: 1 },
      { id: 1 },
      { id: 2 },
    ])
    expect(fetchUser).toHaveBeenCalledTimes(2)
    expect(await users.get(1)).toEqual({ id: 1 })
  })

  it('wrap() derives keys with its key option and passes the other options to getOrSet', async () => {
    const sums = cache<string, number>({ keyType: 'string', valueType: 'int' })
    const add = vi.fn((a: number, b: number) => a + b)
    const cachedAdd = sums.wrap(add, { key: (a, b) => `${a}+${b}`, expireTime: '1m' })
    expect(await cachedAdd(1, 2)).toBe(3)
    expect(await cachedAdd(1, 2)).toBe(3)
    expect(add).toHaveBeenCalledTimes(1)
    expect(await sums.ttl('1+2')).toBeGreaterThan(50_000)
    expect(() => sums.wrap('fn' as never)).toThrow(TypeError)
    expect(() => sums.wrap(add, { key: 'k' as never })).toThrow(/key/)
    expect(() => sums.wrap(add, { grace: 5 })).toThrow(/grace/)
  })
})

describe('getOrSet() and deletes', () => {
  const { cache } = useCaches()

  it('getOrSet() does not fall back on an L1 copy of a key that Redis says was deleted', async () => {
    const writer = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' })
    const reader = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' }, writer.name)
    await reader.getOrSet('k', async () => 'old')
    await writer.delete('k')
    await sleep(70)
    // The reader's L1 copy is stale but within grace; Redis no longer has the key, so the reader loads.
    expect(await reader.getOrSet('k', async () => 'reloaded')).toBe('reloaded')
  })
})
