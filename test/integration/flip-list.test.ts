import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { DecodeError, type FlipCacheError, FlipList, typed } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { useStructures } from '../support/structure-builder.js'

interface Post {
  id: number
  title: string
}

describe('FlipList', () => {
  const { list, sharedClient, track } = useStructures()
  const redis = (): Redis => sharedClient() as Redis

  it('keeps the newest maxLength values, newest first, as the Redis list name:key', async () => {
    const views = list<string, number>({ maxLength: 3, valueType: 'int' })
    for (let id = 0; id < 10; id++) await views.push('job', id)
    expect(await views.range('job')).toEqual([9, 8, 7])
    expect(await views.length('job')).toBe(3)
    expect(await redis().type(`${views.name}:job`)).toBe('list')
    expect(await redis().lrange(`${views.name}:job`, 0, -1)).toEqual(['9', '8', '7'])
  })

  it('push(key, ...values) pushes in order (the last is the newest) and resolves to the length', async () => {
    const views = list<string, string>({ maxLength: 4, valueType: 'string' })
    expect(await views.push('k', 'a', 'b')).toBe(2)
    expect(await views.push('k', 'c', 'd', 'e')).toBe(4)
    expect(await views.range('k')).toEqual(['e', 'd', 'c', 'b'])
    // More values than maxLength in one push: only the newest are kept.
    expect(await views.push('k', '1', '2', '3', '4', '5', '6')).toBe(4)
    expect(await views.range('k')).toEqual(['6', '5', '4', '3'])
  })

  it('a push of many values at once (past Lua unpack slices) keeps the newest', async () => {
    const big = list<string, number>({ maxLength: 5000, valueType: 'int' })
    const values = Array.from({ length: 6000 }, (_, index) => index)
    expect(await big.push('k', ...values)).toBe(5000)
    const stored = await big.range('k')
    expect(stored).toHaveLength(5000)
    expect(stored[0]).toBe(5999)
    expect(stored.at(-1)).toBe(1000)
  })

  it('range(key, start, stop) takes LRANGE indexes: 0 the newest, -1 the oldest, stop included', async () => {
    const letters = list<string, string>({ maxLength: 10, valueType: 'string' })
    await letters.push('k', 'a', 'b', 'c', 'd', 'e')
    expect(await letters.range('k', 0, 1)).toEqual(['e', 'd'])
    expect(await letters.range('k', 1, 1)).toEqual(['d'])
    expect(await letters.range('k', -2, -1)).toEqual(['b', 'a'])
    expect(await letters.range('k', 3)).toEqual(['b', 'a'])
    expect(await letters.range('k', 7, 9)).toEqual([])
    expect(await letters.range('missing')).toEqual([])
    expect(await letters.length('missing')).toBe(0)
  })

  it('typed values go through the value type: typed.json<T>(), superjson, bytes', async () => {
    const posts = track(
      new FlipList(uniqueName('posts'), {
        redis: sharedClient(),
        maxLength: 2,
        valueType: typed.json<Post>(),
      }),
    )
    await posts.push('feed', { id: 1, title: 'one' }, { id: 2, title: 'two' })
    const read: Post[] = await posts.range('feed')
    expect(read).toEqual([
      { id: 2, title: 'two' },
      { id: 1, title: 'one' },
    ])
    const rich = list<string, { at: Date; tags: Set<string> }>({ maxLength: 2 })
    const at = new Date('2026-01-02T03:04:05Z')
    await rich.push('k', { at, tags: new Set(['x']) })
    expect(await rich.range('k')).toEqual([{ at, tags: new Set(['x']) }])
    const blobs = list<string, Uint8Array>({ maxLength: 2, valueType: 'bytes' })
    await blobs.push('k', Buffer.from([0, 255, 1]))
    expect(await blobs.range('k')).toEqual([Buffer.from([0, 255, 1])])
  })

  it('a custom value type encodes and decodes through its hooks', async () => {
    const upper = list<string, string>({
      maxLength: 2,
      valueType: 'custom',
      valueEncoder: (value) => value.toUpperCase(),
      valueDecoder: (raw) => raw.toLowerCase(),
    })
    await upper.push('k', 'abc')
    expect(await redis().lrange(`${upper.name}:k`, 0, -1)).toEqual(['ABC'])
    expect(await upper.range('k')).toEqual(['abc'])
  })

  it('expireTime is set on every push, and delete() removes the list', async () => {
    const recent = list<string, number>({ maxLength: 3, valueType: 'int', expireTime: '1h' })
    await recent.push('k', 1)
    const key = `${recent.name}:k`
    await redis().pexpire(key, 5_000)
    await recent.push('k', 2)
    expect(await redis().pttl(key)).toBeGreaterThan(3_500_000)
    const forever = list<string, number>({ maxLength: 3, valueType: 'int' })
    await forever.push('k', 1)
    expect(await redis().pttl(`${forever.name}:k`)).toBe(-1)
    expect(await recent.delete('k')).toBe(true)
    expect(await recent.delete('k')).toBe(false)
    expect(await recent.range('k')).toEqual([])
  })

  it('a value past maxValueBytes is refused with E_TOO_LARGE and nothing is written', async () => {
    const small = list<string, string>({ maxLength: 3, valueType: 'string', maxValueBytes: 8 })
    await expect(small.push('k', 'ok', 'x'.repeat(9))).rejects.toMatchObject({
      code: 'E_TOO_LARGE',
      bytes: 9,
      maxBytes: 8,
      key: `${small.name}:k`,
    })
    expect(await small.length('k')).toBe(0)
  })

  it('a custom encoder that throws is E_ENCODE; a value the type does not take is a TypeError', async () => {
    const failing = list<string, string>({
      maxLength: 3,
      valueType: 'custom',
      valueEncoder: () => {
        throw new Error('nope')
      },
      valueDecoder: (raw) => raw,
    })
    await expect(failing.push('k', 'a')).rejects.toMatchObject({ code: 'E_ENCODE' })
    const ints = list<string, number>({ maxLength: 3, valueType: 'int' })
    await expect(ints.push('k', 1.5)).rejects.toThrow(TypeError)
    // A bad value refuses the push even when it is older than the newest maxLength.
    await expect(ints.push('k', 1.5, 1, 2, 3)).rejects.toThrow(TypeError)
    expect(await ints.length('k')).toBe(0)
  })

  it('stored elements that do not decode (or are past maxValueBytes) are skipped and reported as E_DECODE', async () => {
    const docs = list<string, unknown>({ maxLength: 10, valueType: 'json', maxValueBytes: 64 })
    const errors: FlipCacheError[] = []
    docs.on('error', (error) => errors.push(error))
    const key = `${docs.name}:k`
    await redis().rpush(key, '{"ok":1}', '{oops', 'x'.repeat(100), Buffer.from([0xff, 0xfe]), '[2]')
    expect(await docs.range('k')).toEqual([{ ok: 1 }, [2]])
    // Three failures of one key within 1 s: the first at once, the other two as one report (repeats 1).
    await vi.waitFor(() => expect(errors).toHaveLength(2), { timeout: 3_000 })
    expect(errors[1]?.repeats).toBe(1)
    for (const error of errors) {
      expect(error).toBeInstanceOf(DecodeError)
      expect(error).toMatchObject({ code: 'E_DECODE', key })
    }
    // The data belongs to whoever wrote it: nothing is deleted.
    expect(await redis().llen(key)).toBe(5)
  })

  it('a list made longer by something else is read as if trimmed: never more than maxLength values', async () => {
    const views = list<string, number>({ maxLength: 3, valueType: 'int' })
    await redis().rpush(`${views.name}:k`, ...Array.from({ length: 1000 }, (_, index) => index))
    expect(await views.range('k')).toEqual([0, 1, 2])
    expect(await views.range('k', 1, -2)).toEqual([1])
    expect(await views.range('k', 0, 500)).toEqual([0, 1, 2])
    expect(await views.range('k', -1000, -1)).toHaveLength(3)
    await views.push('k', 7)
    expect(await views.range('k')).toEqual([7, 0, 1])
    expect(await views.length('k')).toBe(3)
  })

  it('a key holding another type reads as an empty list (E_DECODE); a push to it rejects', async () => {
    const views = list<string, string>({ maxLength: 3, valueType: 'string' })
    const errors: FlipCacheError[] = []
    views.on('error', (error) => errors.push(error))
    await redis().set(`${views.name}:k`, 'a string')
    expect(await views.range('k')).toEqual([])
    expect(await views.length('k')).toBe(0)
    // The second read's failure, of the same key within 1 s, is reported when that second is over.
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE', 'E_DECODE']), {
      timeout: 3_000,
    })
    await expect(views.push('k', 'x')).rejects.toMatchObject({ code: 'E_REDIS' })
    expect(await redis().get(`${views.name}:k`)).toBe('a string')
  })

  it('lengths(keys) reads every length, in order', async () => {
    const views = list<number, number>({ maxLength: 5, keyType: 'int', valueType: 'int' })
    await views.push(1, 1, 2)
    await views.push(3, 1, 2, 3)
    expect(await views.lengths([1, 2, 3])).toEqual([2, 0, 3])
    expect(await views.lengths([])).toEqual([])
  })

  it('concurrent pushes never leave the list longer than maxLength, and keep the newest', async () => {
    const views = list<string, number>({ maxLength: 5, valueType: 'int' })
    const other = list<string, number>({ maxLength: 5, valueType: 'int' }, views.name)
    const lengths: number[] = []
    await Promise.all(
      Array.from({ length: 40 }, async (_, index) => {
        await (index % 2 === 0 ? views : other).push('k', index)
        lengths.push(await redis().llen(`${views.name}:k`))
      }),
    )
    expect(Math.max(...lengths)).toBeLessThanOrEqual(5)
    expect(await views.length('k')).toBe(5)
  })

  it('keys() lists each key once, skipping and reporting keys that do not decode; clear() removes them all', async () => {
    const views = list<number, number>({ maxLength: 3, keyType: 'int', valueType: 'int' })
    const errors: FlipCacheError[] = []
    views.on('error', (error) => errors.push(error))
    for (let key = 0; key < 30; key++) await views.push(key, key)
    await redis().rpush(`${views.name}:not-an-int`, '1')
    await redis().set(`${views.name}x:0`, 'another namespace')
    const keys: number[] = []
    for await (const key of views.keys()) keys.push(key)
    expect(keys.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, index) => index))
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE']))
    expect(await views.clear()).toBe(31)
    const left: number[] = []
    for await (const key of views.keys()) left.push(key)
    expect(left).toEqual([])
    expect(await redis().get(`${views.name}x:0`)).toBe('another namespace')
  })

  it('hashTag puts every key of the namespace under {name}:', async () => {
    const views = list<string, number>({ maxLength: 3, valueType: 'int', hashTag: true })
    await views.push('k', 1)
    expect(await redis().lrange(`{${views.name}}:k`, 0, -1)).toEqual(['1'])
  })

  it('close() settles a keys() scan on its way with E_CLOSED', async () => {
    const views = list<string, number>({ maxLength: 3, valueType: 'int' })
    await views.push('k', 1)
    const first = views.keys().next()
    const closing = views.close()
    await expect(first).rejects.toMatchObject({ code: 'E_CLOSED' })
    await closing
  })

  it('calls after close() reject with E_CLOSED', async () => {
    const views = list<string, number>({ maxLength: 3, valueType: 'int' })
    await views.close()
    await expect(views.push('k', 1)).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(views.range('k')).rejects.toMatchObject({ code: 'E_CLOSED' })
    await expect(views.keys().next()).rejects.toThrow(/FlipList .* is closed/)
  })
})
