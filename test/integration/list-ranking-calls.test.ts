import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { useOwnServer } from '../support/own-server.js'
import { countRoundTrips } from '../support/round-trip-counter.js'
import { useStructures } from '../support/structure-builder.js'

// Command counts are server-wide, so these tests run on a server of their own.
const own = useOwnServer()

describe('FlipList and FlipRanking: one round trip per call and per batch', () => {
  const { list, ranking, sharedClient, track } = useStructures(() => new Redis(own.server.url))
  const client = (): Redis => sharedClient() as Redis

  it('push() is one EVAL (LPUSH, LTRIM past maxLength, PEXPIRE) in one round trip; range() one LRANGE', async () => {
    const views = list<string, number>({ maxLength: 2, valueType: 'int', expireTime: '1h' })
    await views.push('warm', 0)
    const trips = countRoundTrips(client())
    expect(await countCommands(own.admin, () => views.push('k', 1, 2))).toEqual({
      eval: 1,
      lpush: 1,
      pexpire: 1,
    })
    expect(await countCommands(own.admin, () => views.push('k', 3))).toEqual({
      eval: 1,
      lpush: 1,
      ltrim: 1,
      pexpire: 1,
    })
    expect(await countCommands(own.admin, () => views.range('k'))).toEqual({ lrange: 1 })
    expect(trips.count).toBe(3)
  })

  it('lengths(keys) is one round trip', async () => {
    const views = list<string, number>({ maxLength: 2, valueType: 'int' })
    await views.push('a', 1)
    const trips = countRoundTrips(client())
    expect(await countCommands(own.admin, () => views.lengths(['a', 'b', 'c']))).toEqual({ llen: 3 })
    expect(trips.count).toBe(1)
  })

  it('increment() is one EVAL (ZINCRBY, ZCARD, a trim past maxSize, PEXPIRE) in one round trip; top() one ZRANGE', async () => {
    const scores = ranking({ maxSize: 1, expireTime: '1h' })
    await scores.increment('k', 'a', 5)
    const trips = countRoundTrips(client())
    expect(await countCommands(own.admin, () => scores.increment('k', 'b'))).toEqual({
      eval: 1,
      zincrby: 1,
      zcard: 1,
      zremrangebyrank: 1,
      pexpire: 1,
    })
    expect(await countCommands(own.admin, () => scores.top('k', 3))).toEqual({ zrange: 1 })
    expect(trips.count).toBe(2)
    expect(await scores.top('k', 3)).toEqual([{ member: 'a', score: 5 }])
    // Without maxSize or expireTime, ZINCRBY alone.
    const plain = ranking()
    expect(await countCommands(own.admin, () => plain.increment('k', 'a', 2))).toEqual({ zincrby: 1 })
    expect(await plain.score('k', 'a')).toBe(2)
  })

  it('calls of one tick from a cache, a list and a ranking on one client share one round trip', async () => {
    const cache = track(
      new FlipCache(uniqueName('session'), { redis: client(), localMax: 0, maxStaleness: false }),
    )
    const views = list<string, number>({ maxLength: 3, valueType: 'int' })
    const scores = ranking()
    await cache.set('user:1', { name: 'Ada' })
    await views.push('latest', 7)
    await scores.increment('top', 'job:7')
    const trips = countRoundTrips(client())
    const [session, latest, top] = await Promise.all([
      cache.get('user:1'),
      views.range('latest'),
      scores.top('top', 3),
    ])
    expect(trips.count).toBe(1)
    expect(session).toEqual({ name: 'Ada' })
    expect(latest).toEqual([7])
    expect(top).toEqual([{ member: 'job:7', score: 1 }])
  })
})

describe('FlipList and FlipRanking: bad arguments', () => {
  const { list, ranking } = useStructures(() => new Redis(own.server.url))

  it('FlipList refuses bad keys, values and indexes with a TypeError naming them, writing nothing', async () => {
    const views = list<number, number>({ maxLength: 3, keyType: 'int', valueType: 'int' })
    await expect(views.push(1)).rejects.toThrow(/at least one value/)
    await expect(views.push('x' as unknown as number, 1)).rejects.toThrow(/keyType `int`/)
    await expect(views.push(1, 'one' as unknown as number)).rejects.toThrow(TypeError)
    await expect(views.range(1, 0.5)).rejects.toThrow(/`start`.*0\.5/)
    await expect(views.range(1, 0, Number.POSITIVE_INFINITY)).rejects.toThrow(/`stop`/)
    await expect(views.lengths('1' as unknown as number[])).rejects.toThrow(/array of keys/)
    await expect(views.lengths([1, Number.NaN])).rejects.toThrow(/keyType `int`/)
    await expect(views.delete({} as unknown as number)).rejects.toThrow(TypeError)
    expect(await views.length(1)).toBe(0)
  })

  it('FlipRanking refuses bad keys, members, increments and counts with a TypeError naming them', async () => {
    const scores = ranking<string, number>({ memberType: 'int' })
    for (const by of [Number.NaN, Number.POSITIVE_INFINITY, '1']) {
      await expect(scores.increment('k', 1, by as number)).rejects.toThrow(/`by` to be a finite number/)
    }
    await expect(scores.increment('k', 1.5)).rejects.toThrow(/a member of memberType `int`/)
    await expect(scores.increment('', 1)).rejects.toThrow(
      /a key of keyType `string` \(it must not be empty\)/,
    )
    for (const n of [0, -1, 1.5, 100_001]) {
      await expect(scores.top('k', n)).rejects.toThrow(/`n` to be an integer from 1 to 100000/)
    }
    await expect(scores.rank('k', 'x' as unknown as number)).rejects.toThrow(TypeError)
    await expect(scores.score('k', 'x' as unknown as number)).rejects.toThrow(TypeError)
    await expect(scores.remove('k', 'x' as unknown as number)).rejects.toThrow(TypeError)
    expect(await scores.size('k')).toBe(0)
  })
})
