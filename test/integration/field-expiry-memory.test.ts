import { Redis } from 'ioredis'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { FlipCacheOptions } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'
import { expiresHashFields } from '../support/server-features.js'

// used_memory is server-wide and each test empties the server: these tests run on a server of their own.
const own = useOwnServer()

type HashStorage = Extract<NonNullable<FlipCacheOptions<number, unknown>['storage']>, { bucketSize: number }>

/** Buckets of 100 fields: 20 entries that live an hour, 80 that live a second and are never read. */
const buckets = 1_250
const bucketSize = 100
const longPerBucket = 20
const shortTtlMs = 1_000
const longKeys: number[] = []
const shortKeys: number[] = []
for (let bucket = 0; bucket < buckets; bucket++) {
  for (let field = 0; field < bucketSize; field++) {
    ;(field < longPerBucket ? longKeys : shortKeys).push(bucket * bucketSize + field)
  }
}
const value = (id: number) => ({ id, name: `user-${id}`, active: id % 2 === 0 })

/** Generous bounds for a loaded machine: the server's active expiry of 100,000 fields takes about 1 s. */
const expiry = { timeout: 30_000, interval: 100 }

/** What a never-read expired entry may still hold once the server removed it, and what it holds when not. */
const freedBytes = 5
const heldBytes = 30

describe('entries that expire and are never read again (hash buckets kept alive by long-lived entries)', () => {
  const { cache } = useCaches(() => own.server.url)
  let fieldTtls = false
  beforeAll(async () => {
    fieldTtls = await expiresHashFields(own.admin)
  })

  async function usedMemory(): Promise<number> {
    const match = /^used_memory:(\d+)/m.exec(await own.admin.info('memory'))
    return Number(match?.[1])
  }

  async function fieldsHeld(name: string): Promise<number> {
    const pipeline = own.admin.pipeline()
    for (let bucket = 0; bucket < buckets; bucket++) pipeline.hlen(`${name}:b:${bucket}`)
    const replies = (await pipeline.exec()) ?? []
    return replies.reduce((sum, [, length]) => sum + Number(length), 0)
  }

  async function expiredKeys(): Promise<number> {
    return Number(/^expired_keys:(\d+)/m.exec(await own.admin.info('stats'))?.[1])
  }

  /**
   * Writes the long-lived entries, reads used_memory, writes the short-lived ones, and waits until the
   * server's active expiry has run past their TTL: a key of the same TTL written after them, alone in
   * database 1 and never read, has expired.
   */
  async function writeAndOutlive(storage: Partial<HashStorage>) {
    await own.admin.flushall()
    const items = cache<number, unknown>({
      keyType: 'int',
      valueType: 'msgpack',
      expireTime: '1h',
      localMax: 0,
      storage: { kind: 'hash', bucketSize, ...storage },
    })
    for (let start = 0; start < longKeys.length; start += 1_000) {
      await items.setMany(longKeys.slice(start, start + 1_000).map((key) => [key, value(key)]))
    }
    const baseline = await usedMemory()
    for (let start = 0; start < shortKeys.length; start += 1_000) {
      const batch = shortKeys.slice(start, start + 1_000).map((key) => [key, value(key)] as const)
      await items.setMany(batch, { expireTime: shortTtlMs })
    }
    const expiredBefore = await expiredKeys()
    const other = new Redis(own.server.url, { db: 1 })
    try {
      await other.set('sentinel', '1', 'PX', shortTtlMs)
    } finally {
      other.disconnect()
    }
    await vi.waitFor(async () => expect(await expiredKeys()).toBeGreaterThan(expiredBefore), expiry)
    return { items, baseline }
  }

  async function expectLongLivedReadBack(items: ReturnType<typeof cache<number, unknown>>) {
    for (let start = 0; start < longKeys.length; start += 1_000) {
      const batch = longKeys.slice(start, start + 1_000)
      expect(await items.getMany(batch)).toEqual(batch.map(value))
    }
  }

  async function expectKept(items: ReturnType<typeof cache<number, unknown>>, baseline: number) {
    expect(await fieldsHeld(items.name)).toBe(longKeys.length + shortKeys.length)
    expect(await usedMemory()).toBeGreaterThan(baseline + heldBytes * shortKeys.length)
  }

  async function expectFreed(items: ReturnType<typeof cache<number, unknown>>, baseline: number) {
    await vi.waitFor(async () => expect(await fieldsHeld(items.name)).toBe(longKeys.length), expiry)
    await vi.waitFor(
      async () => expect(await usedMemory()).toBeLessThan(baseline + freedBytes * shortKeys.length),
      expiry,
    )
    expect(await own.admin.call('OBJECT', 'ENCODING', `${items.name}:b:0`)).toBe('listpackex')
  }

  it("entryExpiry 'header': the expired entries stay in their buckets, and so does their memory", async () => {
    const { items, baseline } = await writeAndOutlive({ entryExpiry: 'header' })
    await expectKept(items, baseline)
    await expectLongLivedReadBack(items)
  }, 120_000)

  it("the default ('auto'): the server removes them where it has field TTLs (HSETEX), and they stay where it has not", async () => {
    const { items, baseline } = await writeAndOutlive({})
    if (fieldTtls) await expectFreed(items, baseline)
    else await expectKept(items, baseline)
    await expectLongLivedReadBack(items)
  }, 120_000)
})
