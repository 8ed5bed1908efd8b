import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { withHeader } from '../../src/entry/entry-header.js'
import { DecodeError, type FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'

// The defects of issue 11, each reproduced against a real redis-server; every test here failed on
// the main branch before the fix (81974cc).

const own = useOwnServer()

/** A hash field whose header says it expired a minute ago. */
const expiredField = (value: string): string =>
  withHeader(value, Number.POSITIVE_INFINITY, undefined, Date.now() - 60_000) as string

describe('hash storage: a read of an expired field never deletes a newer write', () => {
  const { cache, client } = useCaches(() => own.server.url)
  const sized = (redis?: Redis) =>
    cache<number, string>({
      keyType: 'int',
      valueType: 'string',
      storage: { kind: 'hash', bucketSize: 100 },
      ...(redis === undefined ? {} : { redis }),
    })

  it('get() racing set() on one instance: the value set() acknowledged stays in Redis', async () => {
    const items = sized()
    await items.ready()
    const bucket = `${items.name}:b:0`
    await own.admin.hset(bucket, '2', 'keeps the bucket alive', '1', expiredField('old'))
    const [read] = await Promise.all([items.get(1), items.set(1, 'new', { expireTime: '1h' })])
    expect([undefined, 'new']).toContain(read)
    expect(await own.admin.hget(bucket, '2')).toBe('keeps the bucket alive')
    expect(await items.get(1)).toBe('new')
    // Whatever the header of the stored field, it holds the new value.
    expect(await own.admin.hget(bucket, '1')).toMatch(/new$/)
  })

  it("get() racing another instance's set(): that instance's acknowledged write stays in Redis", async () => {
    const shared = client()
    const reader = sized(shared)
    const writer = cache<number, string>(
      { redis: shared, keyType: 'int', valueType: 'string', storage: { kind: 'hash', bucketSize: 100 } },
      reader.name,
    )
    await Promise.all([reader.ready(), writer.ready()])
    const bucket = `${reader.name}:b:0`
    await own.admin.hset(bucket, '99', 'keeps the bucket alive')
    // The write may land before or after the read: in either order it must survive. Each key tries
    // the write a little later than the one before.
    for (let key = 0; key < 10; key++) {
      await own.admin.hset(bucket, String(key), expiredField('old'))
      const read = reader.get(key)
      for (let tick = 0; tick < key; tick++) await new Promise((resolve) => setImmediate(resolve))
      await Promise.all([read, writer.set(key, `new ${key}`, { expireTime: '1h' })])
    }
    for (let key = 0; key < 10; key++) expect(await own.admin.hget(bucket, String(key))).toMatch(/new \d$/)
  })

  it('an expired field that nobody rewrote is removed by the read (compare-and-delete)', async () => {
    const items = sized()
    const bucket = `${items.name}:b:0`
    await own.admin.hset(bucket, '2', 'keeps the bucket alive', '1', expiredField('old'))
    expect(await items.get(1)).toBeUndefined()
    await vi.waitFor(async () => expect(await own.admin.hexists(bucket, '1')).toBe(0))
    expect(await own.admin.hget(bucket, '2')).toBe('keeps the bucket alive')
  })
})

describe("an 'error' listener added with once()", () => {
  const { cache } = useCaches(() => own.server.url)

  it('getMany() over two undecodable values: the listener gets one error, the other becomes a warning, no crash', async () => {
    const docs = cache<string, unknown>({ valueType: 'json' })
    await own.admin.mset(`${docs.name}:a`, '{oops', `${docs.name}:b`, '{nope')
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const heard: FlipCacheError[] = []
      docs.once('error', (error) => heard.push(error))
      expect(await docs.getMany(['a', 'b'])).toEqual([undefined, undefined])
      await vi.waitFor(() => expect(heard).toHaveLength(1))
      // The second report found nobody listening any more: it is a process warning, not an
      // unhandled 'error' event (which would have thrown ERR_UNHANDLED_ERROR from a microtask).
      await vi.waitFor(() =>
        expect(warnings.mock.calls.some(([, options]) => JSON.stringify(options).includes('E_DECODE'))).toBe(
          true,
        ),
      )
      expect(heard[0]).toBeInstanceOf(DecodeError)
      expect(docs.stats().errors).toBe(2)
    } finally {
      warnings.mockRestore()
    }
  })
})

describe('hash storage: a malformed field gets one verdict from every read', () => {
  const { cache } = useCaches(() => own.server.url)

  it('get(), has(), ttl(), keys() and entries() all treat it as absent, and it is reported', async () => {
    const items = cache<number, string>({
      keyType: 'int',
      valueType: 'string',
      storage: { kind: 'hash', bucketSize: 100 },
    })
    const bucket = `${items.name}:b:0`
    // A header whose expires-at time is not base 36: nobody can say whether the entry is alive.
    await own.admin.hset(bucket, '1', '\u0000DNOT*A*TIMEvalue', '2', 'two')
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    expect(await items.get(1)).toBeUndefined()
    expect(await items.has(1)).toBe(false)
    expect(await items.ttl(1)).toBeUndefined()
    const keys: number[] = []
    for await (const key of items.keys()) keys.push(key)
    expect(keys).toEqual([2])
    const entries: [number, string][] = []
    for await (const entry of items.entries()) entries.push(entry)
    expect(entries).toEqual([[2, 'two']])
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(1))
    expect(errors.every((error) => error.code === 'E_DECODE')).toBe(true)
    // Data flipcache cannot read is not deleted: it may belong to another program.
    expect(await own.admin.hget(bucket, '1')).toBe('\u0000DNOT*A*TIMEvalue')
  })
})
