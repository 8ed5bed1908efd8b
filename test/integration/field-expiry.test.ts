import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { fakeClock } from '../support/fake-clock.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'
import { startRedisServer } from '../support/redis-server.js'
import { expiresHashFields, fieldTtls } from '../support/server-features.js'
import { startTcpProxy } from '../support/tcp-proxy.js'

// Command counts are server-wide: these tests run on a server of their own. They run on every
// server of the matrix (`npm run test:servers`) and assert what each kind must do: on Redis 8 and
// Valkey 9, entries expire by their field's own TTL; on older servers, by the header.
const own = useOwnServer()

describe("storage: hash buckets, entryExpiry 'auto' (the default)", () => {
  const { cache } = useCaches(() => own.server.url)
  afterEach(() => {
    vi.useRealTimers()
  })
  const sized = (extra = {}, name?: string) =>
    cache<number, string>(
      {
        keyType: 'int',
        valueType: 'string',
        storage: { kind: 'hash', bucketSize: 100 },
        ...extra,
      },
      name,
    )

  it('writes an entry with a TTL of its own and no header where the server expires fields, else with its expiry in a header', async () => {
    const items = sized({ expireTime: '1h' })
    await items.set(1, 'one')
    const bucket = `${items.name}:b:0`
    const raw = (await own.admin.hget(bucket, '1')) as string
    if (await expiresHashFields(own.admin)) {
      // HSETEX ... PX: the field is the value's bytes exactly, and the bucket itself has no TTL.
      expect(raw).toBe('one')
      const [fieldTtl] = await fieldTtls(own.admin, bucket, '1')
      expect(fieldTtl).toBeGreaterThan(3_500_000)
      expect(fieldTtl).toBeLessThanOrEqual(3_600_000)
      expect(await own.admin.pttl(bucket)).toBe(-1)
      expect(await own.admin.call('OBJECT', 'ENCODING', bucket)).toBe('listpackex')
    } else {
      expect(raw.slice(0, 2)).toBe('\0D')
      expect(raw.endsWith('one')).toBe(true)
      expect(await own.admin.pttl(bucket)).toBeGreaterThan(3_500_000)
    }
    // ttl() and has() answer alike on either path.
    expect(await items.ttl(1)).toBeGreaterThan(3_500_000)
    expect(await items.has(1)).toBe(true)
    expect(await items.ttl(2)).toBeUndefined()
    expect(await items.has(2)).toBe(false)
    // An entry without expiry is raw on both, and has none.
    await items.set(3, 'three', { expireTime: null })
    expect(await own.admin.hget(bucket, '3')).toBe('three')
    expect(await items.ttl(3)).toBeNull()
  })

  it('an expired entry is a miss; where the server expires fields, one never read leaves its bucket too', async () => {
    const items = sized({ localMax: 0 })
    const bucket = `${items.name}:b:0`
    await items.set(1, 'brief', { expireTime: '1s' })
    await items.set(2, 'unread', { expireTime: '1s' })
    await items.set(3, 'lasting', { expireTime: '1h' })
    await vi.waitFor(async () => expect(await items.get(1)).toBeUndefined(), patience)
    if (await expiresHashFields(own.admin)) {
      // Redis removes expired fields by itself: nothing is left of the entry nobody read.
      await vi.waitFor(async () => expect(await own.admin.hexists(bucket, '2')).toBe(0), patience)
      expect(await own.admin.hlen(bucket)).toBe(1)
    } else {
      // With the expiry in a header, an entry is removed only when read (compare-and-delete).
      await vi.waitFor(async () => expect(await own.admin.hexists(bucket, '1')).toBe(0), patience)
      expect(await own.admin.hexists(bucket, '2')).toBe(1)
    }
    // Written after entry 1, entry 2 may outlive it by a few ms: ttl() reads its expiry without
    // removing it (a read past it would).
    await vi.waitFor(async () => expect(await items.ttl(2)).toBeUndefined(), patience)
    // Past its expiry, unread: gone by itself where fields expire, still held elsewhere.
    expect(await own.admin.hexists(bucket, '2')).toBe((await expiresHashFields(own.admin)) ? 0 : 1)
    expect(await items.get(2)).toBeUndefined()
    expect(await items.get(3)).toBe('lasting')
  })

  it('an L1 copy filled by a read lives no longer than its entry in Redis', async () => {
    const writer = sized({ localMax: 0 })
    const reader = sized({ localTtl: '1h' }, writer.name)
    await reader.ready()
    await writer.set(1, 'brief', { expireTime: '1500ms' })
    expect(await reader.get(1)).toBe('brief')
    expect(reader.peek(1)).toBe('brief')
    await vi.waitFor(() => expect(reader.peek(1)).toBeUndefined(), patience)
    // The copy may end a few ms before Redis's entry (its life is counted from before the read was
    // sent): a read then may still find the entry, never past its expiry.
    await vi.waitFor(async () => expect(await reader.get(1)).toBeUndefined(), patience)
  })

  it("bucketExpire on the field path: 'always' leaves a new bucket without TTL and extends a shorter one, 'on-create' gives a new bucket the TTL, 'never' none", async () => {
    if (!(await expiresHashFields(own.admin))) {
      // Without field TTLs, 'auto' is the header path, whose bucket TTLs hash-storage.test.ts covers.
      const items = sized({ expireTime: '1h' })
      await items.set(1, 'a')
      expect(await own.admin.pttl(`${items.name}:b:0`)).toBeGreaterThan(3_500_000)
      return
    }
    const always = sized({ expireTime: '1h' })
    await always.set(1, 'a')
    expect(await own.admin.pttl(`${always.name}:b:0`)).toBe(-1)
    // A bucket with a TTL of its own (written by a header cache, say) is extended to cover the entry.
    await own.admin.hset(`${always.name}:b:1`, '0', 'old')
    await own.admin.pexpire(`${always.name}:b:1`, 60_000)
    await always.set(150, 'b', { expireTime: '2h' })
    expect(await own.admin.pttl(`${always.name}:b:1`)).toBeGreaterThan(7_000_000)
    await always.set(151, 'c', { expireTime: '1m' })
    expect(await own.admin.pttl(`${always.name}:b:1`)).toBeGreaterThan(7_000_000)
    const onCreate = sized({ expireTime: '1h', bucketExpire: 'on-create' })
    await onCreate.set(1, 'a', { expireTime: '1m' })
    await onCreate.set(2, 'b', { expireTime: '2h' })
    expect(await own.admin.pttl(`${onCreate.name}:b:0`)).toBeLessThanOrEqual(60_000)
    const [first, second] = await fieldTtls(own.admin, `${onCreate.name}:b:0`, '1', '2')
    expect(first).toBeLessThanOrEqual(60_000)
    expect(second).toBeGreaterThan(7_000_000)
    const never = sized({ expireTime: '1h', bucketExpire: 'never' })
    await never.set(1, 'a')
    expect(await own.admin.pttl(`${never.name}:b:0`)).toBe(-1)
  })

  it("'on-create' writes more fields to one bucket than one Lua unpack takes, in one step, on either path", async () => {
    const items = cache<number, string>({
      keyType: 'int',
      valueType: 'string',
      storage: { kind: 'hash', bucketSize: 3000 },
      bucketExpire: 'on-create',
    })
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const keys = Array.from({ length: 2500 }, (_, key) => key)
      await items.setMany(
        keys.map((key) => [key, `v${key}`]),
        { expireTime: '1h' },
      )
      expect(await own.admin.hlen(`${items.name}:b:0`)).toBe(2500)
      expect(await own.admin.pttl(`${items.name}:b:0`)).toBeGreaterThan(3_000_000)
      expect(await items.getMany([0, 1234, 2499])).toEqual(['v0', 'v1234', 'v2499'])
      if (await expiresHashFields(own.admin)) {
        const ttls = await fieldTtls(own.admin, `${items.name}:b:0`, '0', '1234', '2499')
        for (const ttl of ttls) expect(ttl).toBeGreaterThan(3_000_000)
      }
    } finally {
      warnings.mockRestore()
    }
  })

  it('a lazyConnect client is connected to be asked: its first call does not wait out `timeout` for the answer', async () => {
    const redis = new Redis(own.server.url, { lazyConnect: true })
    try {
      const items = sized({ redis, sync: 'none', timeout: 20_000, expireTime: '1h' })
      const started = Date.now()
      await items.set(1, 'one')
      // The answer came in, so the write took the path of the server's kind.
      expect(Date.now() - started).toBeLessThan(10_000)
      const raw = (await own.admin.hget(`${items.name}:b:0`, '1')) as string
      expect(raw === 'one').toBe(await expiresHashFields(own.admin))
    } finally {
      redis.disconnect()
    }
  })

  it("entries written with a header (entryExpiry 'header') and without (the field path) read alike from either cache", async () => {
    const auto = sized({ expireTime: '1h', localMax: 0 })
    const header = sized(
      { expireTime: '1h', localMax: 0, storage: { kind: 'hash', bucketSize: 100, entryExpiry: 'header' } },
      auto.name,
    )
    await auto.set(1, 'from auto')
    await header.set(2, 'from header')
    expect((await own.admin.hget(`${auto.name}:b:0`, '2'))?.slice(0, 2)).toBe('\0D')
    for (const reader of [auto, header]) {
      expect(await reader.getMany([1, 2])).toEqual(['from auto', 'from header'])
      expect(await reader.ttl(1)).toBeGreaterThan(3_500_000)
      expect(await reader.ttl(2)).toBeGreaterThan(3_500_000)
    }
    const seen = new Map<number, string>()
    for await (const [key, value] of auto.entries()) seen.set(key, value)
    expect(seen).toEqual(
      new Map([
        [1, 'from auto'],
        [2, 'from header'],
      ]),
    )
  })
})

describe('refreshExpireTimeOnGet with hash buckets', () => {
  const { cache } = useCaches(() => own.server.url)
  afterEach(() => {
    vi.useRealTimers()
  })
  const sliding = (extra = {}) =>
    cache<number, string>({
      keyType: 'int',
      valueType: 'string',
      storage: { kind: 'hash', bucketSize: 100 },
      expireTime: '10s',
      refreshExpireTimeOnGet: true,
      ...extra,
    })

  it('reads from Redis use HGETEX ... PX, pushing each field TTL back; a server without field TTLs refuses with E_REDIS', async () => {
    const items = sliding({ localMax: 0 })
    const bucket = `${items.name}:b:0`
    if (!(await expiresHashFields(own.admin))) {
      await items.set(1, 'v')
      const failure = (await items.get(1).catch((error: unknown) => error)) as FlipCacheError
      expect(failure.code).toBe('E_REDIS')
      expect(failure.message).toMatch(/HGETEX.*Redis 8\.0/)
      return
    }
    await items.set(1, 'v')
    await own.admin.call('HPEXPIRE', bucket, 2_000, 'FIELDS', 1, '1')
    const commands = await countCommands(own.admin, async () => {
      expect(await items.getMany([1, 2])).toEqual(['v', undefined])
    })
    // And the bucket's own TTL, if it had a shorter one (PEXPIRE ... GT leaves this one, with none, so).
    expect(commands).toEqual({ hgetex: 1, pexpire: 1 })
    expect(await own.admin.pttl(bucket)).toBe(-1)
    const [ttl] = await fieldTtls(own.admin, bucket, '1')
    expect(ttl).toBeGreaterThan(8_000)
  })

  it('an entry served only from L1 never expires in Redis while it is read; one left unread does', async () => {
    if (!(await expiresHashFields(own.admin))) {
      // Refused at the first read (previous test): nothing to slide on this server.
      const failure = (await sliding()
        .get(1)
        .catch((error: unknown) => error)) as FlipCacheError
      expect(failure.code).toBe('E_REDIS')
      return
    }
    const items = sliding({ localTtl: '1h' })
    await items.ready()
    await items.setMany([
      [1, 'hot'],
      [2, 'cold'],
    ])
    const bucket = `${items.name}:b:0`
    const clock = fakeClock()
    for (let round = 0; round < 3; round++) {
      await own.admin.call('HPEXPIRE', bucket, 3_000, 'FIELDS', 1, '1')
      clock.advance(1_001)
      expect(await items.get(1)).toBe('hot')
      await vi.waitFor(
        async () => expect((await fieldTtls(own.admin, bucket, '1'))[0]).toBeGreaterThan(5_000),
        patience,
      )
    }
    expect(items.stats().remoteHits).toBe(0)
    await own.admin.call('HPEXPIRE', bucket, 1_000, 'FIELDS', 1, '2')
    await vi.waitFor(async () => expect(await own.admin.hexists(bucket, '2')).toBe(0), patience)
    expect(await own.admin.hget(bucket, '1')).toBe('hot')
  })

  it('an L1 copy whose field was deleted behind its back is dropped when its touch finds nothing', async () => {
    if (!(await expiresHashFields(own.admin))) {
      const items = sliding()
      await items.set(1, 'v')
      // Without field TTLs no touch can be sent: the copy of an L1 hit is dropped instead of outliving its entry.
      fakeClock().advance(1_001)
      expect(await items.get(1)).toBe('v')
      await vi.waitFor(() => expect(items.peek(1)).toBeUndefined(), patience)
      return
    }
    const items = sliding()
    await items.ready()
    await items.set(1, 'v')
    await own.admin.hdel(`${items.name}:b:0`, '1')
    fakeClock().advance(1_001)
    expect(await items.get(1)).toBe('v')
    await vi.waitFor(() => expect(items.peek(1)).toBeUndefined(), patience)
  })
})

describe('a reconnection that lands on another server (a failover behind one address)', () => {
  const { cache } = useCaches(() => own.server.url)

  it('asks the new server again, and writes what it can read', async () => {
    // The first server is the matrix's (Redis 8 in CI's run of it); the second the PATH's redis-server
    // (7.0 here): each write must take the path of the server it lands on, whichever they are.
    const other = await startRedisServer([], 'redis-server')
    const otherAdmin = new Redis(other.url)
    const proxy = await startTcpProxy(own.server.port)
    try {
      const redis = new Redis(proxy.url)
      redis.on('error', () => {})
      const items = cache<number, string>({
        redis,
        keyType: 'int',
        valueType: 'string',
        expireTime: '1h',
        sync: 'none',
        storage: { kind: 'hash', bucketSize: 100 },
      })
      await items.set(1, 'before')
      const bucket = `${items.name}:b:0`
      expect((await own.admin.hget(bucket, '1')) === 'before').toBe(await expiresHashFields(own.admin))
      proxy.retarget(other.port)
      // Writes go on once the client is back, on the other server; once it has answered (a write in
      // between takes the header path, which every server reads), they take its path.
      const fields = await expiresHashFields(otherAdmin)
      await vi.waitFor(async () => {
        await items.set(2, 'after')
        const raw = (await otherAdmin.hget(bucket, '2')) as string
        expect(raw === 'after').toBe(fields)
        if (!fields) expect(raw.slice(0, 2)).toBe('\0D')
      }, patience)
      expect(await items.get(2)).toBe('after')
      expect(await items.ttl(2)).toBeGreaterThan(3_500_000)
    } finally {
      otherAdmin.disconnect()
      await proxy.close()
      await other.stop()
    }
  })
})
