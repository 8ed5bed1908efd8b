import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ErrorCode, type FlipCacheError } from '../../src/index.js'
import { useCounters } from '../support/counter-builder.js'

const { counter, sharedClient } = useCounters()
let observer: Redis
beforeAll(() => {
  observer = new Redis(sharedClient().options)
})
afterAll(() => observer.disconnect())

/** A restore that answers `base` and counts its calls. */
function restoring(base: number, delayMs = 0) {
  const calls: string[] = []
  return {
    calls,
    restore: async (key: string) => {
      calls.push(key)
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      return base
    },
  }
}

describe('FlipCounter increment()', () => {
  it('returns the new value and keeps the counter as a hash at name:key', async () => {
    const views = counter()
    expect(await views.increment('job-1')).toBe(1)
    expect(await views.increment('job-1')).toBe(2)
    expect(await views.increment('job-1', 10)).toBe(12)
    expect(await views.increment('job-1', -5)).toBe(7)
    expect(await observer.hgetall(`${views.name}:job-1`)).toEqual({ v: '7' })
  })

  it('sets the expiry in the same step on every increment, and none with expireTime null', async () => {
    const expiring = counter({ expireTime: '100s' })
    await expiring.increment('a')
    const ttl = await observer.pttl(`${expiring.name}:a`)
    expect(ttl).toBeGreaterThan(90_000)
    expect(ttl).toBeLessThanOrEqual(100_000)
    const lasting = counter()
    await lasting.increment('a')
    expect(await observer.pttl(`${lasting.name}:a`)).toBe(-1)
  })

  it('gives 500 concurrent increments 500 distinct values', async () => {
    const views = counter()
    const values = await Promise.all(Array.from({ length: 500 }, () => views.increment('hot')))
    expect(new Set(values).size).toBe(500)
    expect(Math.max(...values)).toBe(500)
    expect(await views.get('hot')).toBe(500)
  })

  it('refuses a `by` that is not a safe integer with a TypeError, touching nothing', async () => {
    const views = counter()
    for (const by of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1', null, 1n]) {
      await expect(views.increment('a', by as number)).rejects.toThrow(TypeError)
    }
    expect(await observer.exists(`${views.name}:a`)).toBe(0)
  })

  it('refuses a key of the wrong type with a TypeError', async () => {
    const byId = counter<number>({ keyType: 'int' })
    await expect(byId.increment(1.5)).rejects.toThrow(TypeError)
    expect(await byId.increment(7)).toBe(1)
    expect(await observer.hget(`${byId.name}:7`, 'v')).toBe('1')
  })

  it('fails with E_DECODE, never a crash, on a key that holds no counter', async () => {
    const views = counter()
    await observer.set(`${views.name}:string`, 'x')
    await observer.hset(`${views.name}:text`, 'v', 'abc')
    await observer.hset(`${views.name}:huge`, 'v', '9223372036854775807')
    await observer.hset(`${views.name}:unsafe`, 'v', '9007199254740993')
    for (const key of ['string', 'text', 'huge']) {
      const error = (await views.increment(key).catch((caught: unknown) => caught)) as FlipCacheError
      expect(error.code).toBe(ErrorCode.decode)
    }
    const unsafe = (await views.get('unsafe').catch((caught: unknown) => caught)) as FlipCacheError
    expect(unsafe.code).toBe(ErrorCode.decode)
    expect(await observer.hget(`${views.name}:text`, 'v')).toBe('abc')
  })
})

describe('FlipCounter get() and getMany()', () => {
  it('read 0 for a missing counter without restore, and create nothing', async () => {
    const views = counter()
    await views.increment('a', 3)
    expect(await views.get('missing')).toBe(0)
    expect(await views.getMany(['a', 'missing', 'a'])).toEqual([3, 0, 3])
    expect(await observer.exists(`${views.name}:missing`)).toBe(0)
  })

  it('getMany() restores each missing counter once and reads the live ones as they are', async () => {
    const source = restoring(10)
    const views = counter({ restore: source.restore })
    await observer.hset(`${views.name}:live`, 'v', '4')
    expect(await views.getMany(['live', 'gone-1', 'gone-2', 'gone-1'])).toEqual([4, 10, 10, 10])
    expect(source.calls.sort()).toEqual(['gone-1', 'gone-2'])
    expect(await views.increment('gone-2')).toBe(11)
  })
})

describe('FlipCounter restore', () => {
  it('restores a missing counter once for 200 concurrent increments, and loses none of them', async () => {
    const source = restoring(1000, 50)
    const views = counter({ restore: source.restore, expireTime: '100s' })
    const values = await Promise.all(Array.from({ length: 200 }, () => views.increment('job')))
    expect(source.calls).toEqual(['job'])
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, index) => 1001 + index))
    expect(await views.get('job')).toBe(1200)
    expect(await observer.hgetall(`${views.name}:job`)).toEqual({
      v: '1200',
      b: '1000',
      e: expect.any(String),
    })
    expect(await observer.pttl(`${views.name}:job`)).toBeGreaterThan(90_000)
  })

  it('restores again after the counter is deleted (expired, evicted, flushed)', async () => {
    let base = 5
    const views = counter({ restore: () => base })
    expect(await views.increment('a')).toBe(6)
    await observer.del(`${views.name}:a`)
    base = 40
    expect(await views.increment('a', 2)).toBe(42)
  })

  it('fails with E_RESTORE when restore throws, keeps the increment, and lets the next call restore', async () => {
    let fail = true
    const views = counter({
      restore: () => {
        if (fail) throw new Error('database down')
        return 100
      },
    })
    const error = (await views.increment('a').catch((caught: unknown) => caught)) as FlipCacheError
    expect(error.code).toBe(ErrorCode.restore)
    expect(error.message).toContain('database down')
    fail = false
    // The failed call's increment was recorded while the counter was missing: it lands with the restore.
    expect(await views.increment('a')).toBe(102)
  })

  it('fails with E_RESTORE when restore returns something other than a safe integer', async () => {
    for (const bad of [1.5, '7', Number.NaN, 2 ** 53]) {
      const views = counter({ restore: () => bad as number })
      const error = (await views.get('a').catch((caught: unknown) => caught)) as FlipCacheError
      expect(error.code).toBe(ErrorCode.restore)
    }
  })

  it('fails with E_RESTORE when restore runs past restoreTimeout', async () => {
    const views = counter({ restore: () => new Promise<number>(() => {}), restoreTimeout: 100 })
    const error = (await views.increment('a').catch((caught: unknown) => caught)) as FlipCacheError
    expect(error.code).toBe(ErrorCode.restore)
    expect(error.message).toContain('restoreTimeout')
  })

  it('a second instance waiting on the first one restoring gets base + the increments up to its own', async () => {
    const source = restoring(50, 200)
    const first = counter({ restore: source.restore })
    const second = counter({ restore: source.restore }, first.name)
    const owner = first.increment('a', 1)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const waiters = [second.increment('a', 10), second.increment('a', 100)]
    const values = [await owner, ...(await Promise.all(waiters))]
    expect(source.calls).toEqual(['a'])
    expect(values.sort((a, b) => a - b)).toEqual([51, 61, 161])
  })
})

describe('FlipCounter restore and a flush', () => {
  it('callers still waiting record their increments again when a flush takes the pending counter', async () => {
    let calls = 0
    const views = counter({
      restore: async () => {
        calls++
        // The first restore's counter is flushed while it runs, increments recorded so far with it.
        if (calls === 1) await observer.del(`${views.name}:a`)
        return 100
      },
    })
    const values = await Promise.all(Array.from({ length: 20 }, () => views.increment('a')))
    expect(calls).toBe(2)
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => 101 + index))
    expect(await views.get('a')).toBe(120)
  })
})

describe('FlipCounter close()', () => {
  it('rejects later calls with E_CLOSED', async () => {
    const views = counter()
    await views.close()
    const error = (await views.increment('a').catch((caught: unknown) => caught)) as FlipCacheError
    expect(error.code).toBe(ErrorCode.closed)
    expect(error.message).toContain('FlipCounter')
  })
})
