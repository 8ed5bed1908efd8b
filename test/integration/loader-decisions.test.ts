import { afterEach, describe, expect, it, vi } from 'vitest'
import { type FlipCacheError, type LoaderContext, typed } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { fakeClock, gate } from '../support/fake-clock.js'
import { patience } from '../support/patience.js'

describe("getOrSet(): the loader's decisions on real Redis", () => {
  const { cache, client, sharedClient } = useCaches()
  afterEach(() => {
    vi.useRealTimers()
  })

  it('ctx.setTtl writes the TTL the loader set, not the call’s expireTime (an access token)', async () => {
    const tokens = cache<string, string>({ valueType: 'string', expireTime: '1h' })
    const token = await tokens.getOrSet('api', ({ setTtl }) => {
      setTtl('3s') // the token's own expiry, known only once it is fetched
      return 'tok-1'
    })
    expect(token).toBe('tok-1')
    const ttl = await tokens.ttl('api')
    expect(ttl).toBeGreaterThan(1_000)
    expect(ttl).toBeLessThanOrEqual(3_000)
    // No grace: stored raw, as set() would.
    expect(await sharedClient().get(`${tokens.name}:api`)).toBe('tok-1')
  })

  it('ctx.setTtl with a grace writes expireTime + grace and serves the value stale within it', async () => {
    const clock = fakeClock()
    const rates = cache<string, number>({ valueType: 'float', expireTime: '1h' })
    await rates.getOrSet('EUR', (ctx) => {
      ctx.setTtl('2s', { grace: '1h' })
      return 1.1
    })
    const pttl = await sharedClient().pttl(`${rates.name}:EUR`)
    expect(pttl).toBeGreaterThan(3_600_000)
    expect(pttl).toBeLessThanOrEqual(3_602_000)
    clock.advance(2_500)
    // Past its freshness, within its grace: the stale value at once, a refresh behind it.
    const refresh = vi.fn(async () => 1.2)
    expect(await rates.getOrSet('EUR', refresh)).toBe(1.1)
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledOnce(), patience)
  })

  it('ctx.setTtl refuses a grace on hash buckets without headers, failing the load with the TypeError as cause', async () => {
    const items = cache<string, string>({
      valueType: 'string',
      expireTime: '1m',
      storage: { kind: 'hash', bucket: (key) => ['b', key], entryExpiry: 'bucket' },
    })
    const load = items.getOrSet('k', (ctx) => {
      ctx.setTtl('1m', { grace: '1m' })
      return 'v'
    })
    await expect(load).rejects.toMatchObject({
      code: 'E_LOADER',
      cause: { name: 'TypeError', message: expect.stringContaining("`storage.entryExpiry: 'bucket'`") },
    })
    expect(await items.get('k')).toBeUndefined()
    // Without a grace the header-less buckets keep it.
    expect(
      await items.getOrSet('k', (ctx) => {
        ctx.setTtl('5s')
        return 'v'
      }),
    ).toBe('v')
    expect(await items.get('k')).toBe('v')
  })

  it('ctx.skip returns the value without storing it in Redis or L1; the next call loads again', async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: '1m' })
    const loader = vi.fn(({ skip }: LoaderContext<string, string>) => {
      skip()
      return 'partial result'
    })
    expect(await items.getOrSet('k', loader)).toBe('partial result')
    expect(await sharedClient().exists(`${items.name}:k`)).toBe(0)
    expect(await items.get('k')).toBeUndefined()
    expect(await items.getOrSet('k', loader)).toBe('partial result')
    expect(loader).toHaveBeenCalledTimes(2)
    await vi.waitFor(
      async () => expect(await sharedClient().exists(`_lock:${items.name}:k`)).toBe(0),
      patience,
    )
  })

  it('ctx.skip releases the lock as given up: a process waiting for it loads for itself at once', async () => {
    // A 60 s lock: were the waiter to wait it out, the test would time out.
    const lock = { ttl: '60s' } as const
    const first = cache<string, string>({ redis: client(), valueType: 'string', lock })
    const second = cache<string, string>({ redis: client(), valueType: 'string', lock }, first.name)
    const holding = gate()
    const skipping = first.getOrSet('k', async ({ skip }) => {
      await holding.opened
      skip()
      return 'not for sharing'
    })
    await vi.waitFor(
      async () => expect(await sharedClient().exists(`_lock:${first.name}:k`)).toBe(1),
      patience,
    )
    const own = vi.fn(async () => 'loaded by the second')
    const waiting = second.getOrSet('k', own)
    holding.open()
    expect(await skipping).toBe('not for sharing')
    expect(await waiting).toBe('loaded by the second')
    expect(own).toHaveBeenCalledOnce()
    expect(await sharedClient().get(`${first.name}:k`)).toBe('loaded by the second')
  })

  it('ctx.fail without a stale value rejects with E_LOADER (cause: its error), stores nothing, and another process takes over', async () => {
    const lock = { ttl: '60s' } as const
    const first = cache<string, string>({ redis: client(), valueType: 'string', lock })
    const second = cache<string, string>({ redis: client(), valueType: 'string', lock }, first.name)
    const holding = gate()
    const refused = new Error('the source answered 503')
    const failing = first.getOrSet('k', async ({ fail }) => {
      await holding.opened
      return fail(refused)
    })
    const failed = failing.catch((error: unknown) => error)
    await vi.waitFor(
      async () => expect(await sharedClient().exists(`_lock:${first.name}:k`)).toBe(1),
      patience,
    )
    const waiting = second.getOrSet('k', async () => 'loaded by the second')
    holding.open()
    expect(await failed).toMatchObject({ code: 'E_LOADER', cause: refused })
    expect(await waiting).toBe('loaded by the second')
  })

  it('after ctx.fail, the same loader backs off (its failure handed back uncalled) but a new loader runs', async () => {
    fakeClock()
    const items = cache<string, string>({ valueType: 'string' })
    const refused = new Error('refused')
    const failing = vi.fn((ctx: LoaderContext<string, string>) => ctx.fail(refused))
    await expect(items.getOrSet('k', failing)).rejects.toMatchObject({ code: 'E_LOADER', cause: refused })
    await expect(items.getOrSet('k', failing)).rejects.toMatchObject({ code: 'E_LOADER', cause: refused })
    expect(failing).toHaveBeenCalledOnce()
    // Still within the 100 ms (the clock is frozen): another loader is not handed that failure.
    expect(await items.getOrSet('k', async () => 'from another loader')).toBe('from another loader')
    expect(failing).toHaveBeenCalledOnce()
  })

  it('ctx.fail with a stale value within grace serves it, reports E_LOADER, and leaves the stale entry and its TTL alone', async () => {
    const clock = fakeClock()
    const stock = cache<string, number>({
      valueType: 'int',
      expireTime: '10s',
      grace: '1h',
      loaderTimeout: '5s',
    })
    const errors: FlipCacheError[] = []
    stock.on('error', (error) => errors.push(error))
    await stock.getOrSet('sku', async () => 5)
    const stored = await sharedClient().get(`${stock.name}:sku`)
    clock.advance(11_000)
    const cause = new Error('inventory says: not trustworthy now')
    const loader = vi.fn((ctx: LoaderContext<string, number>) => ctx.fail(cause))
    expect(await stock.getOrSet('sku', loader)).toBe(5)
    expect(errors).toEqual([expect.objectContaining({ code: 'E_LOADER', cause })])
    expect(await sharedClient().get(`${stock.name}:sku`)).toBe(stored)
    expect(await sharedClient().pttl(`${stock.name}:sku`)).toBeGreaterThan(3_000_000)
    // Within the back-off the same loader is not called again: the stale value is served.
    expect(await stock.getOrSet('sku', loader)).toBe(5)
    expect(loader).toHaveBeenCalledOnce()
  })

  it('a null result is kept for expireTime without grace (never served stale); notFoundTtl shortens it', async () => {
    const users = cache<string, { name: string } | null>({
      valueType: 'json',
      expireTime: '1m',
      grace: '1h',
    })
    const missing = vi.fn(async () => null)
    expect(await users.getOrSet('ghost', missing)).toBeNull()
    expect(await users.getOrSet('ghost', missing)).toBeNull()
    expect(missing).toHaveBeenCalledOnce()
    const pttl = await sharedClient().pttl(`${users.name}:ghost`)
    expect(pttl).toBeGreaterThan(50_000)
    expect(pttl).toBeLessThanOrEqual(60_000)
    // Raw: no fresh-until header, so no reader treats it as stale-within-grace.
    expect(await sharedClient().get(`${users.name}:ghost`)).toBe('null')
    // A found value keeps the grace.
    await users.getOrSet('ada', async () => ({ name: 'Ada' }))
    expect(await sharedClient().pttl(`${users.name}:ada`)).toBeGreaterThan(3_600_000)
    // Per call.
    expect(await users.getOrSet('gone', async () => null, { notFoundTtl: '2s' })).toBeNull()
    const short = await users.ttl('gone')
    expect(short).toBeGreaterThan(1_000)
    expect(short).toBeLessThanOrEqual(2_000)
  })

  it('notFoundTtl: false stores no "not found" at all; the constructor sets the default', async () => {
    const users = cache<string, string | null>({ valueType: 'json', expireTime: '1m', notFoundTtl: false })
    const missing = vi.fn(async () => null)
    expect(await users.getOrSet('ghost', missing)).toBeNull()
    expect(await sharedClient().exists(`${users.name}:ghost`)).toBe(0)
    expect(await users.getOrSet('ghost', missing)).toBeNull()
    expect(missing).toHaveBeenCalledTimes(2)
    // A call's own notFoundTtl wins over the constructor's.
    expect(await users.getOrSet('other', missing, { notFoundTtl: '3s' })).toBeNull()
    const ttl = await users.ttl('other')
    expect(ttl).toBeGreaterThan(1_000)
    expect(ttl).toBeLessThanOrEqual(3_000)
  })

  it('the notFound option says which results are "not found" (an empty list here)', async () => {
    const lists = cache<string, string[]>({
      valueType: typed.json<string[]>(),
      expireTime: '1h',
      notFound: (value) => value.length === 0,
      notFoundTtl: '2s',
    })
    await lists.getOrSet('empty', async () => [])
    await lists.getOrSet('full', async () => ['a'])
    expect(await lists.ttl('empty')).toBeLessThanOrEqual(2_000)
    expect(await lists.ttl('full')).toBeGreaterThan(3_000_000)
    // A predicate that throws fails the load; it is not asked when the loader decided itself.
    const broken = cache<string, string[]>({
      valueType: typed.json<string[]>(),
      notFound: () => {
        throw new Error('predicate broke')
      },
    })
    await expect(broken.getOrSet('k', async () => ['a'])).rejects.toMatchObject({
      code: 'E_LOADER',
      cause: { message: 'predicate broke' },
    })
    expect(
      await broken.getOrSet('j', async ({ setTtl }) => {
        setTtl('5s')
        return ['b']
      }),
    ).toEqual(['b'])
  })

  it('wrap() takes notFoundTtl too', async () => {
    const users = cache<number, string | null>({ keyType: 'int', valueType: 'json', expireTime: '1h' })
    const find = users.wrap(async (_id: number) => null, { notFoundTtl: '2s' })
    expect(await find(404)).toBeNull()
    const ttl = await users.ttl(404)
    expect(ttl).toBeGreaterThan(1_000)
    expect(ttl).toBeLessThanOrEqual(2_000)
  })

  it('undefined: superjson and msgpack store it as a "not found" and serve it back; json and the scalar types refuse it', async () => {
    for (const valueType of ['superjson', 'msgpack'] as const) {
      const values = cache<string, unknown>({ valueType, expireTime: '1h' })
      const nothing = vi.fn(async () => undefined)
      expect(await values.getOrSet('k', nothing)).toBeUndefined()
      expect(await values.getOrSet('k', nothing)).toBeUndefined()
      expect(nothing).toHaveBeenCalledOnce()
      // Read back from Redis by another instance: a hit too.
      const other = cache<string, unknown>({ valueType, expireTime: '1h' }, values.name)
      expect(await other.getOrSet('k', nothing)).toBeUndefined()
      expect(nothing).toHaveBeenCalledOnce()
      const ttl = await values.ttl('k')
      expect(ttl).toBeGreaterThan(3_000_000)
    }
    const json = cache<string, unknown>({ valueType: 'json', expireTime: '1h' })
    await expect(json.getOrSet('k', async () => undefined)).rejects.toMatchObject({
      code: 'E_LOADER',
      cause: { name: 'TypeError', message: expect.stringContaining('`undefined`') },
    })
    const ints = cache<string, number | null>({ valueType: 'int' } as never)
    await expect(ints.getOrSet('k', async () => null)).rejects.toMatchObject({
      code: 'E_LOADER',
      cause: { name: 'TypeError', message: expect.stringContaining('`null`') },
    })
    expect(await sharedClient().exists(`${json.name}:k`, `${ints.name}:k`)).toBe(0)
  })

  it('refuses a bad notFoundTtl or notFound, naming it', async () => {
    expect(() => cache({ notFoundTtl: null as never })).toThrow(/`notFoundTtl`.*`null`/)
    expect(() => cache({ notFoundTtl: 0 })).toThrow(/Expected `notFoundTtl` to be more than 0 ms or false/)
    expect(() => cache({ notFoundTtl: 'soon' as never })).toThrow(/Invalid `notFoundTtl`/)
    expect(() => cache({ notFoundTtl: true as never })).toThrow(/`notFoundTtl`/)
    expect(() => cache({ notFound: null as never })).toThrow(/Expected `notFound` to be a function/)
    const items = cache<string, string>({ valueType: 'string' })
    await expect(items.getOrSet('k', async () => 'v', { notFoundTtl: -1 })).rejects.toThrow(/`notFoundTtl`/)
    expect(() => items.wrap(async (key: string) => key, { notFoundTtl: 200 * 365 * 86_400_000 })).toThrow(
      /Expected `notFoundTtl` to be at most 100 years or false/,
    )
  })

  it("a caller joining a running load gets its value, stored with the running load's options and decisions", async () => {
    const items = cache<string, string>({ valueType: 'string', expireTime: '1h' })
    const running = gate()
    const leading = items.getOrSet(
      'k',
      async (ctx) => {
        await running.opened
        ctx.setTtl('30s')
        return 'leader'
      },
      { expireTime: '2h' },
    )
    const joiner = vi.fn(async () => 'joiner')
    const joining = items.getOrSet('k', joiner, { expireTime: '5s', grace: '1h', notFoundTtl: false })
    running.open()
    expect(await Promise.all([leading, joining])).toEqual(['leader', 'leader'])
    expect(joiner).not.toHaveBeenCalled()
    const ttl = await items.ttl('k')
    expect(ttl).toBeGreaterThan(20_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
  })

  it('getOrSetMany keeps a not-found result as getOrSet does: for notFoundTtl without grace, or not at all', async () => {
    const users = cache<string, string | null>({ valueType: 'json', expireTime: '1h', grace: '1h' })
    const loaded = await users.getOrSetMany(
      ['found', 'gone'],
      (keys) => keys.map((key) => (key === 'found' ? 'Ann' : null)),
      {
        notFoundTtl: '2s',
      },
    )
    expect(loaded).toEqual(['Ann', null])
    const [foundTtl, goneTtl] = await Promise.all([users.ttl('found'), users.ttl('gone')])
    expect(foundTtl).toBeGreaterThan(3_600_000) // expireTime + grace
    expect(goneTtl).toBeGreaterThan(1_000)
    expect(goneTtl).toBeLessThanOrEqual(2_000)
    const none = cache<string, string | null>({ valueType: 'json', expireTime: '1h', notFoundTtl: false })
    expect(await none.getOrSetMany(['gone'], () => [null])).toEqual([null])
    expect(await none.has('gone')).toBe(false)
  })
})
