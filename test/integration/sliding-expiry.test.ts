import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { commandCalls, countCommands } from '../support/command-stats.js'
import { fakeClock } from '../support/fake-clock.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'

/** Moves the clocks only (see fakeClock): timers and sockets keep real time, so the touch queue still flushes. */
const fakeDate = fakeClock

/** Retries `check` until it passes (a touch leaves a few ms after the hit that made it). */
async function eventually(check: () => void | Promise<void>): Promise<void> {
  await vi.waitFor(check, { timeout: 5_000, interval: 10 })
}

// Command counts are server-wide, so these tests run on a server of their own.
let server: RedisServer
let observer: Redis
beforeAll(async () => {
  server = await startRedisServer()
  observer = new Redis(server.url)
})
afterAll(async () => {
  observer.disconnect()
  await server.stop()
})

describe('FlipCache refreshExpireTimeOnGet', () => {
  const { cache } = useCaches(() => server.url)
  afterEach(() => {
    vi.useRealTimers()
  })

  it('get() from Redis uses GETEX ... PX, pushing the TTL back to expireTime', async () => {
    const items = cache<string, string>({
      valueType: 'string',
      expireTime: '1h',
      refreshExpireTimeOnGet: true,
      localMax: 0,
    })
    await observer.set(`${items.name}:k`, 'v', 'PX', 5_000)
    const commands = await countCommands(observer, async () => {
      expect(await items.get('k')).toBe('v')
    })
    expect(commands).toEqual({ getex: 1 })
    expect(await observer.pttl(`${items.name}:k`)).toBeGreaterThan(3_500_000)
  })

  it('a key served only from L1 never expires in Redis while it is read', async () => {
    const items = cache<string, string>({
      valueType: 'string',
      expireTime: '10s',
      localTtl: '1h',
      refreshExpireTimeOnGet: true,
    })
    await items.ready()
    await items.set('hot', 'v')
    await items.set('cold', 'v')
    const hot = `${items.name}:hot`
    const clock = fakeDate()
    // Three rounds, each as if most of the TTL had passed: Redis has 3 s left of 'hot', the clock moves
    // past the touch interval (1 s), and 'hot' is read from L1, whose touch gives it 10 s again.
    for (let round = 0; round < 3; round++) {
      await observer.pexpire(hot, 3_000)
      clock.advance(1_001)
      expect(await items.get('hot')).toBe('v')
      await eventually(async () => expect(await observer.pttl(hot)).toBeGreaterThan(5_000))
    }
    // Every read was an L1 hit; the key nobody read is left to expire.
    expect(items.stats().remoteHits).toBe(0)
    await observer.pexpire(`${items.name}:cold`, 1_000)
    await eventually(async () => expect(await observer.exists(`${items.name}:cold`)).toBe(0))
    expect(await observer.get(hot)).toBe('v')
  })

  it('L1 hits are coalesced: at most one touch per key per interval, many keys in one pipeline', async () => {
    const items = cache<number, number>({
      keyType: 'int',
      valueType: 'int',
      expireTime: '10s',
      refreshExpireTimeOnGet: true,
      // The heartbeat's own PUBLISH (one a second) would land in the count.
      maxStaleness: false,
    })
    await items.ready()
    await items.setMany(Array.from({ length: 20 }, (_, i): [number, number] => [i, i]))
    fakeDate().advance(1_001)
    const commands = await countCommands(observer, async () => {
      const before = (await commandCalls(observer)).pexpire ?? 0
      for (let round = 0; round < 5; round++) {
        for (let key = 0; key < 20; key++) expect(await items.get(key)).toBe(key)
      }
      // The touches leave a few ms after the hits: wait until Redis has run them.
      await eventually(async () =>
        expect(((await commandCalls(observer)).pexpire ?? 0) - before).toBeGreaterThanOrEqual(20),
      )
    })
    vi.useRealTimers()
    expect(commands).toEqual({ pexpire: 20 })
  })

  it('an L1 copy whose Redis key was deleted behind its back is dropped when its touch finds nothing', async () => {
    const items = cache<string, string>({
      valueType: 'string',
      expireTime: '10s',
      refreshExpireTimeOnGet: true,
    })
    await items.ready()
    await items.set('k', 'v')
    await observer.del(`${items.name}:k`)
    fakeDate().advance(1_001)
    expect(await items.get('k')).toBe('v')
    await eventually(() => expect(items.peek('k')).toBeUndefined())
  })

  it('a touch that fails is reported on error and drops the L1 copy', async () => {
    const redis = new Redis(server.url)
    const items = cache<string, string>({
      redis,
      valueType: 'string',
      expireTime: '10s',
      refreshExpireTimeOnGet: true,
    })
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    await items.set('k', 'v')
    fakeDate().advance(1_001)
    redis.disconnect()
    expect(await items.get('k')).toBe('v')
    await eventually(() => expect(items.peek('k')).toBeUndefined())
    expect(errors.map((error) => error.code)).toEqual(['E_REDIS'])
  })

  it('close() sends the touches still waiting', async () => {
    const items = cache<string, string>({
      valueType: 'string',
      expireTime: '10s',
      refreshExpireTimeOnGet: true,
    })
    await items.set('k', 'v')
    await observer.pexpire(`${items.name}:k`, 3_000)
    fakeDate().advance(1_001)
    expect(await items.get('k')).toBe('v')
    await items.close()
    expect(await observer.pttl(`${items.name}:k`)).toBeGreaterThan(5_000)
  })
})
