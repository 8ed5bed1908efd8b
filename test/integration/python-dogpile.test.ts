import { describe, expect, it, vi } from 'vitest'
import type { FlipCacheOptions } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { prefixedBuckets, type Tuple } from '../support/dogpile-buckets.js'
import { patience } from '../support/patience.js'
import { bytesOf, type PythonCase, pythonFixture, untag } from '../support/python-fixtures.js'

/**
 * dogpile.cache with dogpile_backend_redis_advanced's hstore backend (raw msgpack or raw JSON
 * loads/dumps, expiry left to Redis) and this library on the same keys: the bytes dogpile wrote
 * (recorded by scripts/python/record_dogpile.py) read here, and what is written here is what
 * dogpile's `loads` reads, with the bucket TTL dogpile would leave.
 */
const fixture = pythonFixture('dogpile.json')
const { cache, client } = useCaches()
const cases = (kind: string) => fixture.cases.filter((entry) => entry.kind === kind)

/** dogpile's tuple keys `('user-15', 'posts')`: bucket key `user-15` (no prefix), field `posts`, no header. */
function hstore(valueType: string, extra: FlipCacheOptions<Tuple, unknown> = {}, name = uniqueName()) {
  return cache<Tuple, unknown>(
    {
      keyType: 'json',
      valueType: valueType as 'json',
      storage: {
        kind: 'hash',
        bucket: ([bucket, field]) => [bucket, field],
        key: (bucket, field) => [bucket, field],
        bucketPrefix: '',
        entryExpiry: 'bucket',
      },
      bucketExpire: 'on-create',
      expireTime: '60s',
      ...extra,
    } as FlipCacheOptions<Tuple, unknown>,
    name,
  )
}

/** The TTL class the recording gives a bucket: none, gone, or set (or kept, when not past `before`). */
function ttlClass(pttl: number, before?: number): string {
  if (pttl === -2) return 'gone'
  if (pttl === -1) return 'none'
  return before !== undefined && pttl <= before ? 'kept' : 'set'
}

describe("dogpile's hstore buckets", () => {
  it('has the cases the recording wrote', () => {
    expect(cases('hash').length).toBeGreaterThanOrEqual(20)
    expect(cases('bucket-ttl')).toHaveLength(3)
  })

  for (const entry of cases('hash')) {
    it(`reads what dogpile wrote: ${entry.python}`, async () => {
      const bucket = uniqueName('user')
      await client().hset(bucket, entry.field as string, bytesOf(entry.pythonBytes))
      const reader = hstore(entry.valueType as string)
      expect(await reader.get([bucket, entry.field as string])).toEqual(untag(entry.js))
      expect(await reader.has([bucket, entry.field as string])).toBe(true)
    })

    it(`writes what dogpile's loads reads, with dogpile's bucket TTL: ${entry.name}`, async () => {
      const bucket = uniqueName('user')
      const writer = hstore(entry.valueType as string)
      await writer.set([bucket, entry.field as string], untag(entry.js))
      const stored = await client().hgetBuffer(bucket, entry.field as string)
      expect(stored?.toString('hex')).toBe(entry.tsBytes ?? entry.pythonBytes)
      expect(Math.ceil((await client().pttl(bucket)) / 1000)).toBe(entry.bucketTtlSeconds)
    })
  }

  for (const entry of cases('bucket-ttl')) {
    it(`sets the bucket's TTL as ${entry.name} does, with bucketExpire '${entry.bucketExpire}'`, async () => {
      const bucket = uniqueName('user')
      const writer = hstore('msgpack', {
        bucketExpire: entry.bucketExpire as 'always',
        expireTime: `${entry.expireSeconds as number}s`,
      })
      const redis = client()
      await writer.set([bucket, 'a'], 'x')
      expect(await redis.hgetBuffer(bucket, 'a')).toEqual(bytesOf(entry.pythonBytes))
      const created = await redis.pttl(bucket)
      expect(ttlClass(created)).toBe(entry.onCreate)
      if (created > 0) await redis.pexpire(bucket, 10_000)
      await writer.set([bucket, 'b'], 'y')
      expect(ttlClass(await redis.pttl(bucket), 10_000)).toBe(entry.onLaterWrite)
      await redis.persist(bucket)
      await writer.set([bucket, 'c'], 'z')
      expect(ttlClass(await redis.pttl(bucket))).toBe(entry.onPersisting)
    })
  }

  it("never removes or changes a bucket's TTL on a write without expiry, whatever bucketExpire", async () => {
    const redis = client()
    for (const bucketExpire of ['always', 'on-create', 'never'] as const) {
      const bucket = uniqueName('user')
      await redis.hset(bucket, 'a', bytesOf('a178'))
      await redis.pexpire(bucket, 30_000)
      const writer = hstore('msgpack', { bucketExpire, expireTime: undefined })
      await writer.set([bucket, 'b'], 'y')
      await writer.setMany([[[bucket, 'c'], 'z']], { expireTime: null })
      const pttl = await redis.pttl(bucket)
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(30_000)
    }
  })

  for (const entry of cases('bucket-gone')) {
    it(`keeps a bucket written without expiry, where ${entry.name} deletes it (EXPIRE 0)`, async () => {
      const bucket = uniqueName('user')
      const writer = hstore('msgpack', {
        bucketExpire: entry.hashExpiry === true ? 'always' : 'on-create',
        expireTime: undefined,
      })
      await writer.set([bucket, 'a'], 'x')
      expect(entry.bucketExists).toBe(false)
      expect(await client().hgetBuffer(bucket, 'a')).toEqual(bytesOf(entry.pythonBytes))
      expect(await client().pttl(bucket)).toBe(-1)
    })
  }

  it("ttl() is the bucket's PTTL, and an entry is gone with its bucket, from L1 too", async () => {
    const bucket = uniqueName('user')
    const redis = client()
    await redis.hset(bucket, 'posts', bytesOf('a3416461'))
    await redis.pexpire(bucket, 1500)
    const reader = hstore('msgpack', { localTtl: '1h' })
    expect(await reader.get([bucket, 'posts'])).toBe('Ada')
    expect(reader.peek([bucket, 'posts'])).toBe('Ada')
    const ttl = await reader.ttl([bucket, 'posts'])
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(1500)
    // Another field of the same bucket: not there, whatever the bucket's TTL.
    expect(await reader.ttl([bucket, 'friends'])).toBeUndefined()
    expect(await reader.has([bucket, 'friends'])).toBe(false)
    // L1's deadline is the PTTL counted from before the read: once Redis has let the bucket go, so has L1.
    await vi.waitFor(async () => expect(await redis.exists(bucket)).toBe(0), patience)
    expect(reader.peek([bucket, 'posts'])).toBeUndefined()
    expect(await reader.get([bucket, 'posts'])).toBeUndefined()
  })

  it("keeps a write in L1 no longer than the bucket's TTL it landed in ('on-create': a shorter one)", async () => {
    const bucket = uniqueName('user')
    const redis = client()
    await redis.hset(bucket, 'a', bytesOf('a178'))
    await redis.pexpire(bucket, 1500)
    const writer = hstore('msgpack', { localTtl: '1h', expireTime: '1h' })
    await writer.set([bucket, 'posts'], 'late')
    expect(writer.peek([bucket, 'posts'])).toBe('late')
    expect(await redis.pttl(bucket)).toBeLessThanOrEqual(1500)
    await vi.waitFor(async () => expect(await redis.exists(bucket)).toBe(0), patience)
    expect(writer.peek([bucket, 'posts'])).toBeUndefined()
    expect(await writer.get([bucket, 'posts'])).toBeUndefined()
  })

  it("another instance's write to a bucket reaches L1 (sync 'pubsub', on the cache name's channel)", async () => {
    const bucket = uniqueName('user')
    const name = uniqueName()
    const reader = hstore('msgpack', { localTtl: '1h' }, name)
    const writer = hstore('msgpack', {}, name)
    await Promise.all([reader.ready(), writer.ready()])
    await writer.set([bucket, 'posts'], 'first')
    expect(await reader.get([bucket, 'posts'])).toBe('first')
    await writer.set([bucket, 'posts'], 'second')
    await vi.waitFor(async () => expect(await reader.get([bucket, 'posts'])).toBe('second'), patience)
  })

  it("dogpile's own write to a bucket reaches L1 under sync 'tracking' with a bucket prefix", async () => {
    const prefix = `${uniqueName('user')}-`
    const reader = cache<Tuple, unknown>({
      keyType: 'json',
      valueType: 'msgpack',
      storage: prefixedBuckets(prefix),
      sync: 'tracking',
      localTtl: '1h',
    })
    await reader.ready()
    const redis = client()
    await redis.hset(`${prefix}15`, 'posts', bytesOf('a3416461'))
    expect(await reader.get([`${prefix}15`, 'posts'])).toBe('Ada')
    await redis.hset(`${prefix}16`, 'posts', bytesOf('a3426f62'))
    expect(await reader.get([`${prefix}16`, 'posts'])).toBe('Bob')
    // A write by dogpile (HSET of the raw msgpack) to bucket 15 drops that bucket's copies only.
    await redis.hset(`${prefix}15`, 'posts', bytesOf('a3457665'))
    await vi.waitFor(async () => expect(await reader.get([`${prefix}15`, 'posts'])).toBe('Eve'), patience)
    expect(reader.peek([`${prefix}16`, 'posts'])).toBe('Bob')
  })

  it("keys(), entries() and clear() list and remove only the hashes under a bucket prefix; refused with ''", async () => {
    const prefix = `${uniqueName('user')}-`
    const redis = client()
    const scoped = cache<Tuple, unknown>({
      keyType: 'json',
      valueType: 'msgpack',
      storage: prefixedBuckets(prefix),
    })
    await scoped.set([`${prefix}15`, 'posts'], 'Ada')
    await redis.hset(`${prefix}16`, 'friends', bytesOf('a3426f62'))
    // Other data under the prefix that is not a hash is none of the cache's.
    await redis.set(`${prefix}profile`, 'a string')
    const listed = []
    for await (const entry of scoped.entries()) listed.push(entry)
    expect(listed.sort()).toEqual([
      [[`${prefix}15`, 'posts'], 'Ada'],
      [[`${prefix}16`, 'friends'], 'Bob'],
    ])
    await scoped.clear()
    expect(await redis.exists(`${prefix}15`, `${prefix}16`)).toBe(0)
    expect(await redis.get(`${prefix}profile`)).toBe('a string')

    const bare = hstore('msgpack')
    await expect(bare.keys().next()).rejects.toThrow(/bucketPrefix: ''/)
    await expect(bare.clear()).rejects.toThrow(/bucketPrefix: ''/)
    expect(await redis.get(`${prefix}profile`)).toBe('a string')
    const bucket = uniqueName('user')
    await bare.set([bucket, 'posts'], 'kept')
    expect(await bare.delete([bucket, 'posts'])).toBe(true)
  })

  it('refuses per-call grace and refreshAhead, which need a header', async () => {
    const bare = hstore('msgpack')
    await expect(bare.getOrSet([uniqueName('user'), 'a'], () => 'x', { grace: '1s' })).rejects.toThrow(
      TypeError,
    )
    expect(() => bare.wrap((id: Tuple) => id[1], { refreshAhead: 0.5 })).toThrow(/refreshAhead/)
  })
})

describe("dogpile's string keys and locks", () => {
  /** A string-key case's key inside a fresh namespace: dogpile's `reports:` becomes `<name>:`. */
  function placeOf(entry: PythonCase): { name: string; key: string; redisKey: string } {
    const name = uniqueName('reports')
    const key = (entry.key as string).slice('reports:'.length)
    return { name, key, redisKey: `${name}:${key}` }
  }

  for (const entry of cases('string')) {
    it(`reads what dogpile wrote and writes what it reads: ${entry.python}`, async () => {
      const { name, key, redisKey } = placeOf(entry)
      await client().set(redisKey, bytesOf(entry.pythonBytes))
      const options = { valueType: entry.valueType as 'json', localMax: 0, expireTime: '60s' as const }
      expect(await cache(options, name).get(key)).toEqual(untag(entry.js))
      await client().del(redisKey)
      await cache(options, name).set(key, untag(entry.js))
      expect((await client().getBuffer(redisKey))?.toString('hex')).toBe(entry.tsBytes ?? entry.pythonBytes)
      if (entry.ttlSeconds !== undefined)
        expect(Math.ceil((await client().pttl(redisKey)) / 1000)).toBe(entry.ttlSeconds)
    })
  }

  const stringLock = cases('lock').find((entry) => !(entry.lockKey as string).includes(',')) as PythonCase
  const hashLock = cases('lock').find((entry) => (entry.lockKey as string).includes(',')) as PythonCase

  it("getOrSet with lockPrefix '_lock' waits for dogpile's lock, and takes the one dogpile waits for", async () => {
    const { name, key, redisKey } = placeOf(stringLock)
    const lockKey = `_lock${redisKey}`
    expect(stringLock.lockKey).toBe(`_lock${stringLock.key as string}`)
    const redis = client()
    const options = {
      valueType: 'msgpack' as const,
      lockPrefix: '_lock',
      expireTime: '60s' as const,
      localMax: 0,
    }
    // dogpile holds the lock (redis-py's Lock: SET NX, no TTL without lock_timeout) while it creates.
    await redis.set(lockKey, 'a0b1c2d3', 'NX')
    const loader = vi.fn(() => 'flipcache')
    const waiting = cache(options, name).getOrSet(key, loader, { lock: { ttl: '5s', wait: '5s' } })
    await vi.waitFor(async () => {
      const channels = (await redis.pubsub('CHANNELS', `${name}:__lock`)) as string[]
      expect(channels).toHaveLength(1)
    }, patience)
    await redis.set(redisKey, bytesOf(stringLock.pythonBytes), 'EX', 60)
    await redis.del(lockKey)
    expect(await waiting).toBe(untag(stringLock.js))
    expect(loader).not.toHaveBeenCalled()

    // The other way: while flipcache's loader runs, dogpile's SET NX on the same key fails.
    await redis.del(redisKey)
    let heldForDogpile: string | null = 'not seen'
    const loaded = await cache(options, name).getOrSet(key, async () => {
      heldForDogpile = await redis.set(lockKey, 'dogpile', 'NX')
      return 'made'
    })
    expect(loaded).toBe('made')
    expect(heldForDogpile).toBeNull()
    expect((await redis.getBuffer(redisKey))?.toString('hex')).toBe(stringLock.pythonBytes)
  })

  it("does not share dogpile's lock of a tuple key (_lock<bucket>,<field>)", async () => {
    const bucket = uniqueName('user')
    const lockKey = (hashLock.lockKey as string).replace(hashLock.key as string, bucket)
    const redis = client()
    let dogpileLock: number | undefined
    const loaded = await hstore('msgpack', { lockPrefix: '_lock' }).getOrSet([bucket, 'posts'], async () => {
      dogpileLock = await redis.exists(lockKey)
      return untag(hashLock.js)
    })
    expect(loaded).toBe('made')
    expect(dogpileLock).toBe(0)
    expect((await redis.hgetBuffer(bucket, 'posts'))?.toString('hex')).toBe(hashLock.pythonBytes)
  })
})
