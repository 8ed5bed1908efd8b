import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { DecodeError, type FlipCacheError, FlipRanking } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { useStructures } from '../support/structure-builder.js'

describe('FlipRanking', () => {
  const { ranking, sharedClient, track } = useStructures()
  const redis = (): Redis => sharedClient() as Redis

  it("the article's top jobs: increment() per view, top(n) highest first with scores", async () => {
    const jobs = ranking<string, number>({ memberType: 'int' })
    const view = (id: number) => jobs.increment('top', id)
    for (let id = 0; id < 10; id++) await view(id)
    for (let id = 2; id < 5; id++) await view(id)
    for (let id = 4; id < 6; id++) await view(id)
    expect(await jobs.top('top', 3)).toEqual([
      { member: 4, score: 3 },
      { member: 5, score: 2 },
      { member: 3, score: 2 },
    ])
    expect(await redis().type(`${jobs.name}:top`)).toBe('zset')
    expect(await redis().zscore(`${jobs.name}:top`, '4')).toBe('3')
  })

  it('maxMemberLength refuses a longer member with a TypeError, before anything is written', async () => {
    const scores = ranking({ maxMemberLength: 5 })
    await expect(scores.increment('week', 'abcdef')).rejects.toThrow(TypeError)
    expect(await scores.size('week')).toBe(0)
    expect(await scores.increment('week', 'abcde')).toBe(1)
  })

  it('increment() resolves to the new score; by may be negative or fractional', async () => {
    const scores = ranking()
    expect(await scores.increment('k', 'a')).toBe(1)
    expect(await scores.increment('k', 'a', 2.5)).toBe(3.5)
    expect(await scores.increment('k', 'a', -4)).toBe(-0.5)
    expect(await scores.score('k', 'a')).toBe(-0.5)
    expect(await scores.increment('k', 'b', 1e300)).toBe(1e300)
  })

  it('rank() is 0 for the top, undefined when absent; score() undefined when absent', async () => {
    const scores = ranking()
    await scores.increment('k', 'low', 1)
    await scores.increment('k', 'high', 10)
    await scores.increment('k', 'mid', 5)
    expect(await scores.rank('k', 'high')).toBe(0)
    expect(await scores.rank('k', 'mid')).toBe(1)
    expect(await scores.rank('k', 'low')).toBe(2)
    expect(await scores.rank('k', 'none')).toBeUndefined()
    expect(await scores.rank('missing', 'none')).toBeUndefined()
    expect(await scores.score('k', 'none')).toBeUndefined()
    expect(await scores.size('k')).toBe(3)
    expect(await scores.size('missing')).toBe(0)
    expect(await scores.top('missing', 5)).toEqual([])
  })

  it('remove() and delete() say whether there was something to remove', async () => {
    const scores = ranking()
    await scores.increment('k', 'a')
    await scores.increment('k', 'b')
    expect(await scores.remove('k', 'a')).toBe(true)
    expect(await scores.remove('k', 'a')).toBe(false)
    expect(await scores.top('k', 10)).toEqual([{ member: 'b', score: 1 }])
    expect(await scores.delete('k')).toBe(true)
    expect(await scores.delete('k')).toBe(false)
  })

  it('maxSize keeps the highest scores, trimmed in the same step as the increment', async () => {
    const scores = ranking<string, string>({ maxSize: 3 })
    for (const [member, by] of [
      ['a', 5],
      ['b', 4],
      ['c', 3],
      ['d', 2],
      ['e', 6],
    ] as const) {
      await scores.increment('k', member, by)
      expect(await redis().zcard(`${scores.name}:k`)).toBeLessThanOrEqual(3)
    }
    expect(await scores.top('k', 10)).toEqual([
      { member: 'e', score: 6 },
      { member: 'a', score: 5 },
      { member: 'b', score: 4 },
    ])
    // A member that does not make the top 3 is dropped at once; its score is still returned.
    expect(await scores.increment('k', 'z', 1)).toBe(1)
    expect(await scores.rank('k', 'z')).toBeUndefined()
  })

  it('concurrent increments from two instances lose none (ZINCRBY, not INCR then ZADD)', async () => {
    const one = ranking()
    const two = ranking({}, one.name)
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        (index % 2 === 0 ? one : two).increment('k', `m${index % 4}`),
      ),
    )
    expect(await one.top('k', 10)).toEqual([
      { member: 'm3', score: 50 },
      { member: 'm2', score: 50 },
      { member: 'm1', score: 50 },
      { member: 'm0', score: 50 },
    ])
  })

  it('expireTime is set on every increment', async () => {
    const scores = ranking({ expireTime: '1h' })
    await scores.increment('k', 'a')
    const key = `${scores.name}:k`
    await redis().pexpire(key, 5_000)
    await scores.increment('k', 'b')
    expect(await redis().pttl(key)).toBeGreaterThan(3_500_000)
    const forever = ranking()
    await forever.increment('k', 'a')
    expect(await redis().pttl(`${forever.name}:k`)).toBe(-1)
  })

  it('members go through the member type: json members are canonical', async () => {
    const pairs = track(
      new FlipRanking(uniqueName('pairs'), { redis: sharedClient(), memberType: 'json', keyType: 'int' }),
    )
    await pairs.increment(1, { b: 2, a: 1 }, 2)
    await pairs.increment(1, { a: 1, b: 2 }, 3)
    const top: { member: unknown; score: number }[] = await pairs.top(1, 5)
    expect(top).toEqual([{ member: { a: 1, b: 2 }, score: 5 }])
    expect(await redis().zrange(`${pairs.name}:1`, '0', '-1')).toEqual(['{"a":1,"b":2}'])
    const typedIds = track(
      new FlipRanking(uniqueName('ids'), { redis: sharedClient(), memberType: 'bigint' }),
    )
    await typedIds.increment('k', 12345678901234567890n)
    const ids: { member: bigint; score: number }[] = await typedIds.top('k', 1)
    expect(ids).toEqual([{ member: 12345678901234567890n, score: 1 }])
  })

  it('stored members that do not decode are skipped by top() and reported as E_DECODE', async () => {
    const ids = ranking<string, number>({ memberType: 'int' })
    const errors: FlipCacheError[] = []
    ids.on('error', (error) => errors.push(error))
    await redis().zadd(`${ids.name}:k`, 3, 'nope', 2, '7', 1, '8')
    expect(await ids.top('k', 3)).toEqual([
      { member: 7, score: 2 },
      { member: 8, score: 1 },
    ])
    await vi.waitFor(() => expect(errors).toHaveLength(1))
    expect(errors[0]).toBeInstanceOf(DecodeError)
    expect(errors[0]).toMatchObject({ code: 'E_DECODE', key: `${ids.name}:k` })
  })

  it('a key holding another type reads as an empty ranking (E_DECODE); an increment of it rejects', async () => {
    const scores = ranking()
    const errors: FlipCacheError[] = []
    scores.on('error', (error) => errors.push(error))
    await redis().rpush(`${scores.name}:k`, 'x')
    expect(await scores.top('k', 3)).toEqual([])
    expect(await scores.rank('k', 'x')).toBeUndefined()
    expect(await scores.score('k', 'x')).toBeUndefined()
    expect(await scores.size('k')).toBe(0)
    // Four failures of one key within 1 s: the first at once, the other three as one report (repeats 2).
    await vi.waitFor(() => expect(errors).toHaveLength(2), { timeout: 3_000 })
    expect(new Set(errors.map((error) => error.code))).toEqual(new Set(['E_DECODE']))
    expect(errors[1]?.repeats).toBe(2)
    await expect(scores.increment('k', 'x')).rejects.toMatchObject({ code: 'E_REDIS' })
  })

  it('keys() lists each ranking once, skipping and reporting keys that do not decode; clear() removes them', async () => {
    const scores = ranking<number, string>({ keyType: 'int' })
    const errors: FlipCacheError[] = []
    scores.on('error', (error) => errors.push(error))
    for (let key = 0; key < 25; key++) await scores.increment(key, 'a')
    await redis().zadd(`${scores.name}:x`, 1, 'a')
    const keys: number[] = []
    for await (const key of scores.keys()) keys.push(key)
    expect(keys.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, index) => index))
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE']))
    expect(await scores.clear()).toBe(26)
    expect(await scores.size(0)).toBe(0)
  })

  it('calls after close() reject with E_CLOSED', async () => {
    const scores = ranking()
    await scores.close()
    await expect(scores.increment('k', 'a')).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(scores.top('k', 1)).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(scores.keys().next()).rejects.toThrow(/FlipRanking .* is closed/)
  })
})
