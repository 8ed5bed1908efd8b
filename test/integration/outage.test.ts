import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FlipCache, FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { freePort, type RedisServer, startRedisServer } from '../support/redis-server.js'

// These tests stop, pause and restart Redis, so they run on a server of their own.
let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server.stop())

const timeout = 200
/**
 * A failing call must settle within this: `timeout` and seconds to spare for a loaded machine. It
 * tells a call bounded by `timeout` from one that hangs until Redis is back (or ioredis gives up),
 * not how fast it fails; the error messages say which limit it was.
 */
const noHangMs = timeout + 3_000

/** Runs `call`, expecting a FlipCacheError with one of `codes`, without hanging. */
async function expectFastFailure(call: () => Promise<unknown>, codes: string[]): Promise<FlipCacheError> {
  const startedAt = performance.now()
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  )
  const elapsed = performance.now() - startedAt
  expect(error).toBeInstanceOf(FlipCacheError)
  expect(codes).toContain((error as FlipCacheError).code)
  expect(elapsed).toBeLessThan(noHangMs)
  return error as FlipCacheError
}

async function eventually<T>(attempt: () => Promise<T>, withinMs = 10_000): Promise<T> {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

describe('FlipCache with Redis down', () => {
  const { cache, client } = useCaches(() => server.url)

  it('every call settles within about `timeout` while Redis is stopped, and works again once it is back', async () => {
    const redis = client()
    const items = cache<string, string>({ redis, valueType: 'string', timeout, localMax: 0 })
    await items.set('kept', 'v')
    await server.stop()
    // Once ioredis has seen the connection drop, flipcache holds calls back instead of sending them.
    // (A command already on the wire when Redis died has an unknown outcome: that is E_TIMEOUT's case.)
    await eventually(async () => expect(redis.status).not.toBe('ready'))
    try {
      const calls: (() => Promise<unknown>)[] = [
        () => items.get('kept'),
        () => items.getMany(['kept', 'other']),
        () => items.has('kept'),
        () => items.set('lost', 'v'),
        () => items.setMany([['lost', 'v']]),
        () => items.delete('kept'),
        () => items.deleteMany(['kept']),
        () => items.ttl('kept'),
        () => items.clear(),
        async () => {
          for await (const key of items.keys()) expect(key).toBeUndefined()
        },
      ]
      const errors = await Promise.all(calls.map((call) => expectFastFailure(call, ['E_REDIS'])))
      for (const error of errors) expect(error.message).toMatch(/not ready within 200 ms/)
      expect(items.stats().errors).toBe(calls.length)
    } finally {
      await server.restart()
    }
    expect(await eventually(() => items.get('kept'))).toBeUndefined()
    // The writes that failed during the outage were never sent, so they are not applied late either.
    expect(await items.has('lost')).toBe(false)
    await items.set('after', 'ok')
    expect(await items.get('after')).toBe('ok')
  })

  it('an L1 hit keeps answering while Redis is down; a miss fails fast', async () => {
    const redis = client()
    const items = cache<string, string>({ redis, valueType: 'string', timeout })
    await items.ready()
    await items.set('warm', 'v')
    await server.stop()
    await eventually(async () => expect(redis.status).not.toBe('ready'))
    try {
      expect(await items.get('warm')).toBe('v')
      await expectFastFailure(() => items.get('cold'), ['E_REDIS'])
    } finally {
      await server.restart()
    }
    await eventually(() => items.get('cold'))
  })

  it('a Redis that stops answering (its process suspended) gives E_TIMEOUT after `timeout`', async () => {
    const items = cache<string, string>({ redis: client(), valueType: 'string', timeout, localMax: 0 })
    await items.set('k', 'v')
    server.freeze()
    try {
      const error = await expectFastFailure(() => items.get('k'), ['E_TIMEOUT'])
      expect(error.message).toMatch(/within 200 ms/)
      await expectFastFailure(() => items.set('k', 'w'), ['E_TIMEOUT'])
    } finally {
      server.thaw()
    }
    expect(await eventually(() => items.get('k'))).toMatch(/^[vw]$/)
  })

  it('a set() that times out drops the L1 copy, since Redis may or may not apply it', async () => {
    const admin = client()
    const items = cache<string, string>({ redis: client(), valueType: 'string', timeout })
    await items.set('k', 'v')
    expect(items.peek('k')).toBe('v')
    // A WRITE pause lets CLIENT UNPAUSE through, so it may be long: it ends when the test is done.
    await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE')
    try {
      await expectFastFailure(() => items.set('k', 'w'), ['E_TIMEOUT'])
      expect(items.peek('k')).toBeUndefined()
    } finally {
      await admin.call('CLIENT', 'UNPAUSE')
    }
  })

  it('a cache whose own client cannot connect reports it on error once and fails calls with E_REDIS', async () => {
    const deadPort = await freePort()
    const items = new FlipCache<string, string>('dead', { redis: `redis://127.0.0.1:${deadPort}`, timeout })
    const reported: FlipCacheError[] = []
    items.on('error', (error) => reported.push(error))
    try {
      const error = await expectFastFailure(() => items.get('k'), ['E_REDIS'])
      expect(error.message).toMatch(/not ready/)
      await expectFastFailure(() => items.get('k'), ['E_REDIS'])
      expect(reported).toHaveLength(1)
      expect(reported[0]?.code).toBe('E_REDIS')
      expect(reported[0]?.cause).toBeInstanceOf(Error)
    } finally {
      await items.close()
    }
  })

  it('a shared client the user has closed makes calls fail at once with E_REDIS', async () => {
    const redis = new Redis(server.url)
    const items = cache<string, string>({ redis, valueType: 'string', timeout, localMax: 0 })
    await items.set('k', 'v')
    await redis.quit()
    const error = await expectFastFailure(() => items.get('k'), ['E_REDIS'])
    expect(error.message).toMatch(/closed/)
  })

  it('the circuit breaker marks Redis down after repeated failures, fails calls at once, and probes it back up', async () => {
    const items = cache<string, string>({
      redis: client(),
      valueType: 'string',
      timeout: 100,
      localMax: 0,
      // The cooldown outlasts the checks below by far, so that no probe goes meanwhile.
      circuitBreaker: { failures: 3, cooldown: '2s' },
    })
    const changes: string[] = []
    items.on('redis', (change) => changes.push(change.status))
    await items.set('k', 'v')
    server.freeze()
    try {
      // The first times out, and its connection is reset (see fence.ts); the next find it not
      // ready (the new one cannot finish its handshake with a frozen server) and fail after timeout.
      await expect(items.get('k')).rejects.toMatchObject({ code: 'E_TIMEOUT' })
      for (let attempt = 1; attempt < 3; attempt++) {
        await expect(items.get('k')).rejects.toMatchObject({
          code: expect.stringMatching(/^E_(TIMEOUT|REDIS)$/),
        })
      }
      expect(changes).toEqual(['down'])
      // At once: the call is failed without being sent (a sent one would end in E_TIMEOUT).
      const error = await expectFastFailure(() => items.get('k'), ['E_REDIS'])
      expect(error.message).toMatch(/marked down after repeated failures; the next probe is in/)
    } finally {
      server.thaw()
    }
    expect(await eventually(() => items.get('k'))).toBe('v')
    expect(changes).toEqual(['down', 'up'])
  })

  it('circuitBreaker: false lets every call try, each failing after `timeout`, and ioredis queues nothing behind a Redis that does not answer', async () => {
    const redis = client()
    const items = cache<string, string>({
      redis,
      valueType: 'string',
      timeout: 60,
      localMax: 0,
      circuitBreaker: false,
    })
    // Connected before the freeze (the client, and the cache's subscriber), so each call times out
    // rather than finding Redis unreachable.
    await Promise.all([redis.ping(), items.ready()])
    const changes: string[] = []
    items.on('redis', (change) => changes.push(change.status))
    server.freeze()
    try {
      // The first is sent and times out: its connection, silent since, is reset (fence.ts). The
      // next wait for the new one, whose handshake a frozen server never answers, and fail after
      // `timeout` unsent: the commands waiting for replies stay bounded.
      const queued = (): number =>
        (redis as unknown as { commandQueue: { length: number } }).commandQueue.length
      for (let attempt = 0; attempt < 12; attempt++) {
        const startedAt = performance.now()
        await expect(items.get('k')).rejects.toMatchObject({
          code: expect.stringMatching(/^E_(TIMEOUT|REDIS)$/),
        })
        expect(performance.now() - startedAt).toBeGreaterThanOrEqual(50)
        // At most the new connection's handshake (HELLO, two CLIENT SETINFO, INFO); it used to grow
        // by one command per call.
        expect(queued()).toBeLessThanOrEqual(5)
      }
    } finally {
      server.thaw()
    }
    expect(changes).toEqual([])
    await eventually(() => items.get('k'))
  })
})

describe('getOrSet() with Redis down', () => {
  const { cache, client } = useCaches(() => server.url)

  it('answers from L1, or from the loader within `timeout` plus the loader’s time, and stores again once Redis is back', async () => {
    // Longer than the other tests' timeout: the bound below tells one timeout (the failed read) from
    // two (the read, then a store the caller should not wait for), with a whole timeout to spare.
    const timeout = 1_500
    const redis = client()
    const items = cache<string, string>({ redis, valueType: 'string', timeout, expireTime: '1m' })
    await items.ready()
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    expect(await items.getOrSet('warm', async () => 'cached')).toBe('cached')
    await server.stop()
    await eventually(async () => expect(redis.status).not.toBe('ready'))
    try {
      expect(await items.getOrSet('warm', async () => 'unused')).toBe('cached')
      const startedAt = performance.now()
      expect(await items.getOrSet('cold', async () => 'loaded')).toBe('loaded')
      expect(performance.now() - startedAt).toBeLessThan(2 * timeout)
      // The loaded value could not be stored in Redis, so L1 keeps it meanwhile.
      expect(await items.getOrSet('cold', async () => 'again')).toBe('loaded')
      expect(errors.length).toBeGreaterThan(0)
      expect(errors.every((error) => error.code === 'E_REDIS' || error.code === 'E_TIMEOUT')).toBe(true)
    } finally {
      await server.restart()
    }
    // Once Redis answers again, what getOrSet loads is stored there again.
    await eventually(() => items.set('probe', 'up'))
    expect(await items.getOrSet('later', async () => 'stored')).toBe('stored')
    expect(await client().get(`${items.name}:later`)).toBe('stored')
  })
})

describe('getOrSet() with Redis writes stalled', () => {
  const { cache, client } = useCaches(() => server.url)

  it('answers within one `timeout` (not one per round trip), keeps the value in L1, and stores it once writes resume', async () => {
    // The bound tells one timeout from two (the lock, then the store: 4 s), with time to spare.
    const timeout = 2_000
    const admin = client()
    // The heartbeat is a PUBLISH, which a WRITE pause holds too: with no proof that it still hears
    // the others, the cache would turn L1 off after maxStaleness (2 s by default), mid-test.
    const items = cache<string, string>({
      redis: client(),
      valueType: 'string',
      timeout,
      maxStaleness: '30s',
    })
    await items.ready()
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    // A WRITE pause lets reads (and CLIENT UNPAUSE) through, and holds every write: the lock, the store.
    await admin.call('CLIENT', 'PAUSE', '20000', 'WRITE')
    let elapsed: number
    try {
      const startedAt = performance.now()
      expect(await items.getOrSet('k', async () => 'loaded')).toBe('loaded')
      elapsed = performance.now() - startedAt
      expect(items.peek('k')).toBe('loaded')
    } finally {
      await admin.call('CLIENT', 'UNPAUSE')
    }
    expect(elapsed).toBeLessThan(timeout + 1_500)
    // The store was sent: it lands once writes resume. The lock Redis took late is let go.
    await eventually(async () => expect(await admin.get(`${items.name}:k`)).toBe('loaded'))
    await eventually(async () => expect(await admin.exists(`_lock:${items.name}:k`)).toBe(0))
    // The store's outcome is reported (it timed out), unless it landed in time after the pause.
    expect(errors.every((error) => error.code === 'E_TIMEOUT')).toBe(true)
  })
})

describe('calls made while Redis is down', () => {
  const { cache, client } = useCaches(() => server.url)

  it("leave in the order they were made, even one made in the client's own 'ready' listener", async () => {
    const redis = client()
    const items = cache<string, string>({
      redis,
      valueType: 'string',
      timeout: 3_000,
      localMax: 0,
      sync: 'none',
    })
    await items.set('k', 'before')
    await server.stop()
    await eventually(async () => expect(redis.status).not.toBe('ready'))
    let second: Promise<void> | undefined
    redis.once('ready', () => {
      second = items.set('k', 'issued second')
    })
    const first = items.set('k', 'issued first')
    await server.restart()
    await first
    await eventually(async () => expect(second).toBeDefined())
    await second
    expect(await items.get('k')).toBe('issued second')
  })
})
