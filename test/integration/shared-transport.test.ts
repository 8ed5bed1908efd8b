import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { transportOf } from '../../src/redis/transport.js'
import { useCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

// Command counts are server-wide, and one test pauses the server: a server of this file's own.
let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server.stop())

describe('caches sharing one client share its transport', () => {
  const { cache, client } = useCaches(() => server.url)

  it('sends the reads two caches make in one tick as one MGET', async () => {
    const observer = client()
    const redis = client()
    const options = { redis, valueType: 'string', localMax: 0, sync: 'none' } as const
    const users = cache<string, string>({ ...options, timeout: 500 })
    const posts = cache<string, string>({ ...options, timeout: 2000 })
    await Promise.all([users.set('1', 'ann'), posts.set('9', 'hello')])
    let values: (string | undefined)[][] = []
    const ran = await countCommands(observer, async () => {
      values = await Promise.all([users.getMany(['1', '2']), posts.getMany(['9'])])
    })
    expect(values).toEqual([['ann', undefined], ['hello']])
    expect(ran).toEqual({ mget: 1 })
  })

  it("tells every cache on the client of a breaker change, as its 'redis' event", async () => {
    const admin = client()
    const redis = client()
    const options = {
      redis,
      valueType: 'string',
      localMax: 0,
      sync: 'none',
      circuitBreaker: { failures: 2, cooldown: 1000 },
    } as const
    const failing = cache<string, string>({ ...options, timeout: 100 })
    const idle = cache<string, string>({ ...options, timeout: 1000 })
    const heard = { failing: [] as string[], idle: [] as string[] }
    failing.on('redis', (change) => heard.failing.push(change.status))
    idle.on('redis', (change) => heard.idle.push(change.status))
    await failing.set('k', 'v')
    await admin.call('CLIENT', 'PAUSE', '2000', 'ALL')
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(failing.get('k')).rejects.toMatchObject({ code: 'E_TIMEOUT' })
      }
      await vi.waitFor(() => expect(heard).toEqual({ failing: ['down'], idle: ['down'] }))
      // The breaker is the client's: the other cache's calls fail at once too.
      await expect(idle.get('k')).rejects.toThrow(/marked down/)
    } finally {
      await admin.call('CLIENT', 'UNPAUSE')
    }
    await vi.waitFor(async () => expect(await failing.get('k')).toBe('v'), { timeout: 5_000, interval: 50 })
    await vi.waitFor(() => expect(heard).toEqual({ failing: ['down', 'up'], idle: ['down', 'up'] }))
  })

  it('warns once when a cache on the client asks for other breaker settings than the first', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const redis = client()
      cache({ redis, sync: 'none' })
      cache({ redis, sync: 'none', circuitBreaker: false })
      cache({ redis, sync: 'none' })
      const breakerWarnings = warnings.mock.calls.filter(
        ([, options]) => (options as { code?: string } | undefined)?.code === 'E_BREAKER_SETTINGS',
      )
      expect(breakerWarnings).toHaveLength(1)
    } finally {
      warnings.mockRestore()
    }
  })
})

describe("a single node's round trip of several commands (one corked write, no ioredis pipeline)", () => {
  const { client } = useCaches(() => server.url)

  it('runs them in call order, fails only the command Redis refused, and answers the rest', async () => {
    const redis = client()
    await redis.ping()
    const view = transportOf(redis).for(1000)
    const trips = countRoundTrips(redis)
    const written = view.command('SET', ['st:x', '1'])
    const refused = view.command('LPUSH', ['st:x', '2'])
    const read = view.command('GET', ['st:x'])
    const rewritten = view.command('SET', ['st:x', '3'])
    const [set, lpush, get, reset] = await Promise.allSettled([written, refused, read, rewritten])
    expect(trips.count).toBe(1)
    expect(set).toEqual({ status: 'fulfilled', value: 'OK' })
    expect(lpush).toMatchObject({ status: 'rejected', reason: { code: 'E_REDIS' } })
    expect((lpush as PromiseRejectedResult).reason.message).toMatch(/LPUSH.*WRONGTYPE/)
    expect(get).toEqual({ status: 'fulfilled', value: '1' })
    expect(reset).toEqual({ status: 'fulfilled', value: 'OK' })
    expect(await redis.get('st:x')).toBe('3')
  })

  it('carries binary values byte for byte and buffer replies as Buffers', async () => {
    const redis = client()
    await redis.ping()
    const view = transportOf(redis).for(1000)
    const bytes = Buffer.from([0, 255, 128, 10, 13, 0])
    const [, value, ttl] = await Promise.all([
      view.command('SET', ['st:bin', bytes, 'PX', 60_000]),
      view.command<Buffer>('GET', ['st:bin'], 'buffer'),
      view.command<number>('PTTL', ['st:bin']),
    ])
    expect(value).toEqual(bytes)
    expect(ttl).toBeGreaterThan(50_000)
  })
})
