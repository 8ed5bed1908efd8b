import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { typed } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

// Command counts are server-wide, so these tests run on a server of their own.
let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server.stop())

interface Session {
  user: string
}
interface Job {
  title: string
}

/**
 * Article 002's "Combine counters and simple cache": a page reads a user's session and, for several
 * jobs, their details and view counts. "Will we do two requests to redis?" Not with caches that
 * share a client: whatever they are asked in one tick leaves as one pipeline.
 */
describe('several caches, one round trip (issue 14 §6)', () => {
  const { cache, client } = useCaches(() => server.url)
  let observer: Redis
  beforeAll(() => {
    observer = new Redis(server.url)
  })
  afterAll(() => observer.disconnect())

  /** The page's three caches on one client, with different timeouts (the transport is the client's). */
  function pageCaches(redis: Redis) {
    // The heartbeat's PUBLISH (one a second) would land in the counts: it is off here.
    const common = { redis, maxStaleness: false } as const
    return {
      sessions: cache<number, Session>({ ...common, keyType: 'int', valueType: typed.json<Session>() }),
      jobs: cache<number, Job>({ ...common, keyType: 'int', valueType: typed.json<Job>(), timeout: 500 }),
      views: cache<number, number>({ ...common, keyType: 'int', valueType: 'int', timeout: 2000 }),
    }
  }

  it("the article's get_cache(user, jobs): a session get and two caches' getMany are one round trip", async () => {
    const redis = client()
    const { sessions, jobs, views } = pageCaches(redis)
    await Promise.all([sessions.ready(), jobs.ready(), views.ready()])
    // Written by another client, so that every read below misses L1 and goes to Redis.
    const writer = client()
    await writer.set(`${sessions.name}:1`, '{"user":"ada"}')
    await writer.mset(`${jobs.name}:1`, '{"title":"cook"}', `${jobs.name}:2`, '{"title":"pilot"}')
    await writer.mset(`${views.name}:1`, '5', `${views.name}:2`, '11')
    const trips = countRoundTrips(redis)
    let page: unknown
    const commands = await countCommands(observer, async () => {
      const [session, details, counts] = await Promise.all([
        sessions.get(1),
        jobs.getMany([1, 2, 3]),
        views.getMany([1, 2, 3]),
      ])
      page = { session, details, counts }
    })
    expect(page).toEqual({
      session: { user: 'ada' },
      details: [{ title: 'cook' }, { title: 'pilot' }, undefined],
      counts: [5, 11, undefined],
    })
    expect(trips.count).toBe(1)
    // Every cache's reads merge into one MGET of the 7 keys; with L1 on, each key asks its PTTL too
    // (how long L1 may keep it), in the same pipeline.
    expect(commands).toEqual({ mget: 1, pttl: 7 })
    // Served from L1 now: no round trip at all.
    await Promise.all([sessions.get(1), jobs.getMany([1, 2]), views.getMany([1, 2])])
    expect(trips.count).toBe(1)
  })

  it('reads and writes of several caches made in one tick are one round trip, in call order', async () => {
    const redis = client()
    const { sessions, jobs, views } = pageCaches(redis)
    await Promise.all([sessions.ready(), jobs.ready(), views.ready()])
    const trips = countRoundTrips(redis)
    const [, , , session, counts] = await Promise.all([
      sessions.set(7, { user: 'grace' }),
      views.setMany([
        [1, 6],
        [2, 12],
      ]),
      jobs.delete(3),
      sessions.get(8),
      views.getMany([1, 2]),
    ])
    expect(session).toBeUndefined()
    expect(counts).toEqual([6, 12])
    expect(trips.count).toBe(1)
  })
})
