import { afterEach, describe, expect, it, vi } from 'vitest'
import { type FlipCacheError, type LoaderContext, LoaderError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { fakeClock, gate } from '../support/fake-clock.js'
import { patience } from '../support/patience.js'

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
    // The holder lets its lock go once the value is stored, without holding up the callers.
    await vi.waitFor(
      async () => expect(await sharedClient().exists(`_lock:${first.name}:hot`)).toBe(0),
      patience,
    )
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
    // Released once the value is stored, without holding up the caller.
    await vi.waitFor(
      async () => expect(await sharedClient().exists(`_flip_lock:${items.name}:k`)).toBe(0),
      patience,
    )
  })

  it('getOrSet() with lock: false runs the in-process single-flight only', async () => {
    const items = cache<string, string>({ valueType: 'string', lock: false })
    const loader = slowLoader('v')
    expect(await Promise.all([items.getOrSet('k', loader), items.getOrSet('k', loader)])).toEqual(['v', 'v'])
    expect(loader).toHaveBeenCalledTimes(1)
    const other = cache<string, string>({ valueType: 'string', lock: false, localMax: 0 }, items.name)
    await other.delete('k')
    const racing = cache<string, string>({ redis: client(), valueType: 'string', lock: false }, items.name)
    // Both loaders run until the test lets them finish, so neither instance can find the other's value:
    // without a Redis lock each calls its own loader. (With one, the second would wait for the first's
    // value, up to lock.wait, 10 s, and never call its loader here.)
    const finish = gate()
    const second = vi.fn(async () => {
      await finish.opened
      return 'v2'
    })
    const both = Promise.all([other.getOrSet('k', second), racing.getOrSet('k', second)])
    try {
      await vi.waitFor(() => expect(second).toHaveBeenCalledTimes(2), { timeout: 5_000 })
    } finally {
      finish.open()
    }
    expect(await both).toEqual(['v2', 'v2'])
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
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string' })
    const loader = vi.fn(async (): Promise<string> => {
      throw new Error('broken source')
    })
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(loader).toHaveBeenCalledTimes(1)
    // The first failure's wait is 100 ms.
    clock.advance(99)
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(loader).toHaveBeenCalledTimes(1)
    clock.advance(2)
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(loader).toHaveBeenCalledTimes(2)
    // The second failure doubles the wait, to 200 ms.
    clock.advance(199)
    await expect(items.getOrSet('k', loader)).rejects.toMatchObject({ code: 'E_LOADER' })
    expect(loader).toHaveBeenCalledTimes(2)
    clock.advance(2)
    expect(await items.getOrSet('k', async () => 'fixed')).toBe('fixed')
  })

  it('getOrSet() rejects with E_LOADER_TIMEOUT past hardTimeout, aborts the loader’s signal, and does not store a late value', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    let signal: AbortSignal | undefined
    // The loader runs until the test lets it finish: the call gives up on it while it is still running.
    const finish = gate<string>()
    const error = await items
      .getOrSet(
        'k',
        (context) => {
          signal = context.signal
          return finish.opened
        },
        { hardTimeout: 60 },
      )
      .catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'E_LOADER_TIMEOUT' })
    expect(signal?.aborted).toBe(true)
    expect(signal?.reason).toBe(error)
    // The loader finishes anyway: its late value is not stored over what was written meanwhile.
    await items.set('k', 'written meanwhile')
    finish.open('late')
    await finish.opened
    // A store that must NOT happen: a late one would leave within a tick or two of the loader's end,
    // so a short wait shows it did not.
    await sleep(50)
    expect(await sharedClient().get(`${items.name}:k`)).toBe('written meanwhile')
    expect(items.peek('k')).toBe('written meanwhile')
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
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string', expireTime: 80, grace: '10s' })
    await items.getOrSet('k', async () => 'old')
    clock.advance(81)
    // Stale: a plain get() says miss, getOrSet() serves it while it refreshes.
    expect(await items.get('k')).toBeUndefined()
    // The refresh runs until the test lets it finish: the stale value is served without waiting for it.
    const finish = gate()
    const loader = vi.fn(async (_context: LoaderContext<string, string>) => {
      await finish.opened
      return 'new'
    })
    expect(await items.getOrSet('k', loader)).toBe('old')
    await vi.waitFor(() => expect(loader).toHaveBeenCalledTimes(1), patience)
    expect(loader.mock.calls[0]?.[0]).toMatchObject({ stale: 'old' })
    finish.open()
    await vi.waitFor(
      async () => expect(await sharedClient().get(`${items.name}:k`)).toMatch(/new$/),
      patience,
    )
    expect(await items.getOrSet('k', loader)).toBe('new')
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('getOrSet() within grace refreshes once across instances', async () => {
    const clock = fakeClock()
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
    clock.advance(61)
    // The refresh runs until every caller has been served the stale value.
    const finish = gate()
    const loader = vi.fn(async () => {
      await finish.opened
      return 'new'
    })
    const served = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).getOrSet('k', loader)),
    )
    expect(new Set(served)).toEqual(new Set(['old']))
    await vi.waitFor(() => expect(loader).toHaveBeenCalledTimes(1), patience)
    finish.open()
    await vi.waitFor(async () => expect(await second.getOrSet('k', loader)).toBe('new'), patience)
    // Whichever instance refreshed, the other found the lock taken or the new value: one call in all.
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('getOrSet() with a soft timeout waits that long for a fresh value, then serves the stale one', async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' })
    await items.getOrSet('k', async () => 'old')
    clock.advance(51)
    // A load that ends within the soft timeout: the caller waits for it and gets the fresh value.
    expect(await items.getOrSet('k', slowLoader('quick', 5), { timeout: '10s' })).toBe('quick')
    clock.advance(51)
    // One that runs until the test lets it finish: past the soft timeout, the caller gets the stale value.
    const finish = gate()
    const slow = vi.fn(async () => {
      await finish.opened
      return 'slow'
    })
    expect(await items.getOrSet('k', slow, { timeout: 40 })).toBe('quick')
    // The load goes on in the background and stores its value.
    await vi.waitFor(() => expect(slow).toHaveBeenCalledTimes(1), patience)
    finish.open()
    await vi.waitFor(
      async () => expect(await sharedClient().get(`${items.name}:k`)).toMatch(/slow$/),
      patience,
    )
    expect(await items.getOrSet('k', slowLoader('unused'))).toBe('slow')
  })

  it('getOrSet() fails safe: a failing loader within grace serves the stale value and reports E_LOADER', async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' })
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    await items.getOrSet('k', async () => 'old')
    clock.advance(51)
    const cause = new Error('source down')
    // A soft timeout far longer than the failing load: the stale value comes from its failure.
    expect(
      await items.getOrSet(
        'k',
        async () => {
          throw cause
        },
        { timeout: '10s' },
      ),
    ).toBe('old')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'E_LOADER', cause })
    // The failure was not cached: the stale value is still the one in Redis.
    const raw = (await sharedClient().get(`${items.name}:k`)) as string
    expect(raw.endsWith('old')).toBe(true)
  })

  it('getOrSet() with refreshAhead refreshes a fresh value in the background after that fraction of expireTime', async () => {
    const clock = fakeClock()
    const items = cache<string, string>({ valueType: 'string', expireTime: '10s', refreshAhead: 0.5 })
    await items.getOrSet('k', async () => 'one')
    const loader = slowLoader('two', 10)
    expect(await items.getOrSet('k', loader)).toBe('one')
    clock.advance(4_999)
    expect(await items.getOrSet('k', loader)).toBe('one')
    expect(loader).not.toHaveBeenCalled()
    // Past half of expireTime: the read still gets the fresh value, and starts a refresh.
    clock.advance(2)
    expect(await items.getOrSet('k', loader)).toBe('one')
    await vi.waitFor(() => expect(loader).toHaveBeenCalledTimes(1), patience)
    // The refresh keeps its value in L1 once Redis has taken it (a GET of Redis may see it a few
    // microtasks before that: under load the next getOrSet then still hit 'one').
    await vi.waitFor(() => expect(items.peek('k')).toBe('two'), patience)
    expect(await sharedClient().get(`${items.name}:k`)).toMatch(/two$/)
    expect(await items.getOrSet('k', loader)).toBe('two')
    expect(await items.get('k')).toBe('two')
    expect(loader).toHaveBeenCalledTimes(1)
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
    expect(() => (sums.wrap as (fn: unknown) => unknown)('fn')).toThrow(TypeError)
    expect(() => sums.wrap(add, { key: 'k' as never })).toThrow(/key/)
    expect(() => sums.wrap(add, { key: () => 'k', grace: 5 })).toThrow(/grace/)
  })

  it('wrap() without key refuses a call with more than one argument instead of keying by the first', async () => {
    const greetings = cache<string, string>({ valueType: 'string' })
    let calls = 0
    const greet = (name: string, lang?: string): string => {
      calls++
      return `${lang ?? 'en'}:${name}`
    }
    // JavaScript, or a cast, can still call the wrapper with more arguments than the key.
    const cached = greetings.wrap(greet as (name: string) => string) as (...args: string[]) => Promise<string>
    expect(await cached('ada')).toBe('en:ada')
    await expect(cached('ada', 'fr')).rejects.toThrow(/exactly one argument, its key; got 2 arguments/)
    await expect(cached()).rejects.toThrow(/got 0 arguments/)
    expect(calls).toBe(1)
    // With a key over every argument, each combination is its own entry.
    const keyed = greetings.wrap(greet, { key: (name, lang) => `${lang ?? 'en'}/${name}` })
    expect(await keyed('ada', 'fr')).toBe('fr:ada')
    expect(await keyed('ada')).toBe('en:ada')
    expect(await greetings.get('fr/ada')).toBe('fr:ada')
  })
})

describe('getOrSet() and deletes', () => {
  const { cache } = useCaches()
  afterEach(() => {
    vi.useRealTimers()
  })

  it('getOrSet() does not fall back on an L1 copy of a key that Redis says was deleted', async () => {
    const clock = fakeClock()
    const writer = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' })
    const reader = cache<string, string>({ valueType: 'string', expireTime: 50, grace: '10s' }, writer.name)
    await reader.getOrSet('k', async () => 'old')
    await writer.delete('k')
    clock.advance(51)
    // The reader's L1 copy is stale but within grace; Redis no longer has the key, so the reader loads.
    expect(await reader.getOrSet('k', async () => 'reloaded')).toBe('reloaded')
  })
})
