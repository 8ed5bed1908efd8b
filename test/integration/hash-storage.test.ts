import { afterEach, describe, expect, it, vi } from 'vitest'
import { useCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { fakeClock } from '../support/fake-clock.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'

// Command counts and CONFIG are server-wide: these tests run on a server of their own.
const own = useOwnServer()

describe('storage: hash buckets', () => {
  const { cache } = useCaches(() => own.server.url)
  afterEach(() => {
    vi.useRealTimers()
  })
  const sized = (extra = {}) =>
    cache<number, string>({
      keyType: 'int',
      valueType: 'string',
      storage: { kind: 'hash', bucketSize: 100 },
      ...extra,
    })

  it('entry k lives in field k mod size of the hash name:b:floor(k / size), raw when it has no expiry', async () => {
    const items = sized()
    await items.setMany([
      [15, 'fifteen'],
      [215, 'two hundred fifteen'],
      [-1, 'minus one'],
    ])
    expect(await own.admin.hget(`${items.name}:b:0`, '15')).toBe('fifteen')
    expect(await own.admin.hget(`${items.name}:b:2`, '15')).toBe('two hundred fifteen')
    expect(await own.admin.hget(`${items.name}:b:-1`, '99')).toBe('minus one')
    expect(await own.admin.type(`${items.name}:b:0`)).toBe('hash')
    expect(await own.admin.call('OBJECT', 'ENCODING', `${items.name}:b:0`)).toBe('listpack')
  })

  it('getMany() costs one round trip: one HMGET per bucket, pipelined', async () => {
    const items = sized({ localMax: 0 })
    const keys = Array.from({ length: 300 }, (_, index) => index)
    await items.setMany(keys.map((key) => [key, `v${key}`]))
    let values: (string | undefined)[] = []
    const commands = await countCommands(own.admin, async () => {
      values = await items.getMany(keys)
    })
    expect(values).toEqual(keys.map((key) => `v${key}`))
    expect(commands).toEqual({ hmget: 3 })
  })

  it('entries() reads each bucket once: SCAN and one HGETALL per bucket, no HMGET after them', async () => {
    const items = sized({ localMax: 0 })
    const keys = Array.from({ length: 300 }, (_, index) => index)
    await items.setMany(keys.map((key) => [key, `v${key}`]))
    const entries: [number, string][] = []
    const commands = await countCommands(own.admin, async () => {
      for await (const entry of items.entries()) entries.push(entry)
    })
    expect(entries.sort(([a], [b]) => a - b)).toEqual(keys.map((key) => [key, `v${key}`]))
    expect(commands).toEqual({ scan: 1, hgetall: 3 })
  })

  it("entryExpiry 'header': an entry read past its own expiry is a miss and is removed from its bucket with HDEL", async () => {
    // The entry's expiry travels in its header and is read against Date: the test moves Date.
    const clock = fakeClock()
    const items = sized({ localMax: 0, storage: { kind: 'hash', bucketSize: 100, entryExpiry: 'header' } })
    await items.set(1, 'brief', { expireTime: '10s' })
    await items.set(2, 'lasting', { expireTime: '1h' })
    const raw = (await own.admin.hget(`${items.name}:b:0`, '1')) as string
    expect(raw.charCodeAt(0)).toBe(0)
    expect(raw.endsWith('brief')).toBe(true)
    clock.advance(9_999)
    expect(await items.get(1)).toBe('brief')
    clock.advance(2)
    expect(await items.get(1)).toBeUndefined()
    await vi.waitFor(async () => expect(await own.admin.hexists(`${items.name}:b:0`, '1')).toBe(0), {
      timeout: 5_000,
    })
    expect(await items.get(2)).toBe('lasting')
  })

  it("entryExpiry 'header': bucketExpire 'on-create' sets the bucket's TTL once, 'always' (the default) at every write, 'never' not at all", async () => {
    // Entries with their expiry in a header (every server): the bucket's TTL must cover them.
    const sized = (extra = {}) =>
      cache<number, string>({
        keyType: 'int',
        valueType: 'string',
        storage: { kind: 'hash', bucketSize: 100, entryExpiry: 'header' },
        ...extra,
      })
    const onCreate = sized({ expireTime: '1h', bucketExpire: 'on-create' })
    await onCreate.set(1, 'a', { expireTime: '1m' })
    await onCreate.set(2, 'b', { expireTime: '2h' })
    expect(await own.admin.pttl(`${onCreate.name}:b:0`)).toBeLessThanOrEqual(60_000)
    const always = sized({ expireTime: '1h' })
    await always.set(1, 'a', { expireTime: '1m' })
    await always.set(2, 'b', { expireTime: '2h' })
    expect(await own.admin.pttl(`${always.name}:b:0`)).toBeGreaterThan(7_000_000)
    // A shorter TTL never shortens the bucket; an entry without expiry makes it persist.
    await always.set(3, 'c', { expireTime: '1m' })
    expect(await own.admin.pttl(`${always.name}:b:0`)).toBeGreaterThan(7_000_000)
    await always.set(4, 'd', { expireTime: null })
    expect(await own.admin.pttl(`${always.name}:b:0`)).toBe(-1)
    const never = sized({ expireTime: '1h', bucketExpire: 'never' })
    await never.set(1, 'a')
    expect(await own.admin.pttl(`${never.name}:b:0`)).toBe(-1)
  })

  it('clear() removes every bucket of the namespace with SCAN + UNLINK', async () => {
    const items = sized()
    await items.setMany(Array.from({ length: 1000 }, (_, index): [number, string] => [index, 'v']))
    expect(await own.admin.exists(`${items.name}:b:0`, `${items.name}:b:9`)).toBe(2)
    await items.clear()
    expect(await own.admin.exists(`${items.name}:b:0`, `${items.name}:b:9`)).toBe(0)
  })

  it('warns once when buckets would leave the listpack encoding', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const roomy = cache<number, string>({
        keyType: 'int',
        valueType: 'string',
        storage: { kind: 'hash', bucketSize: 5000 },
      })
      await roomy.set(1, 'x'.repeat(100))
      await roomy.set(2, 'x'.repeat(100))
      await vi.waitFor(() => expect(warnings).toHaveBeenCalledTimes(2), patience)
      const messages = warnings.mock.calls.map(([message]) => String(message))
      expect(messages.some((message) => /hash-max-listpack-entries \(\d+\)/.test(message))).toBe(true)
      expect(messages.some((message) => /hash-max-listpack-value \(\d+\)/.test(message))).toBe(true)
    } finally {
      warnings.mockRestore()
    }
  })

  it('a long value written after the limits are known warns too, once', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const items = sized()
      await items.set(1, 'short')
      await items.get(1) // a later round trip: the CONFIG GET of the first write has been answered
      expect(warnings).not.toHaveBeenCalled()
      await items.set(2, 'x'.repeat(100))
      await items.set(3, 'x'.repeat(200))
      await vi.waitFor(() => expect(warnings).toHaveBeenCalledTimes(1), patience)
      expect(String(warnings.mock.calls[0]?.[0])).toMatch(
        /a value of 100 bytes exceeds hash-max-listpack-value/,
      )
    } finally {
      warnings.mockRestore()
    }
  })

  it('a server that refuses CONFIG gets no listpack check, and the writes go on', async () => {
    await own.admin.call('ACL', 'SETUSER', 'no-config', 'on', '>secret', '~*', '&*', '+@all', '-config')
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const url = new URL(own.server.url)
      url.username = 'no-config'
      url.password = 'secret'
      const items = cache<number, string>({
        redis: url.toString(),
        keyType: 'int',
        valueType: 'string',
        storage: { kind: 'hash', bucketSize: 5000 },
      })
      await items.set(1, 'x'.repeat(100))
      await items.set(2, 'x'.repeat(100))
      expect(await items.getMany([1, 2])).toEqual(['x'.repeat(100), 'x'.repeat(100)])
      expect(warnings).not.toHaveBeenCalled()
    } finally {
      warnings.mockRestore()
      await own.admin.call('ACL', 'DELUSER', 'no-config')
    }
  })

  it('keys() of a custom bucket layout without storage.key says what it needs', async () => {
    const items = cache<string, string>({
      valueType: 'string',
      storage: { kind: 'hash', bucket: (key) => [key.slice(0, 1), key.slice(1)] },
    })
    await items.set('ab', 'v')
    expect(await items.get('ab')).toBe('v')
    await expect(items.keys().next()).rejects.toThrow(/storage\.key\(bucket, field\)/)
  })

  it("sync: 'tracking' drops the L1 copies of a bucket that another client changed", async () => {
    const items = sized({ sync: 'tracking', localTtl: '1h' })
    await items.ready()
    const invalidated = new Set<number>()
    items.on('invalidate', (event) => {
      if (event.origin === 'tracking' && event.keys !== 'all')
        for (const key of event.keys) invalidated.add(key)
    })
    await items.setMany([
      [1, 'a'],
      [2, 'b'],
      [150, 'c'],
      [901, 's'],
    ])
    // The cache's own writes come back as tracking invalidations too, a moment later, and Redis
    // sends them in order: once the last bucket's has come (or the sentinel's, written after), the
    // others have, and the copies read from now on stay.
    await vi.waitFor(async () => {
      expect(await items.get(901)).toBe('s')
      expect(items.peek(901)).toBe('s')
    }, patience)
    await own.admin.hset(`${items.name}:b:9`, '1', 'sentinel')
    await vi.waitFor(() => expect(invalidated.has(901)).toBe(true), patience)
    await vi.waitFor(async () => {
      expect(await items.getMany([1, 2, 150])).toEqual(['a', 'b', 'c'])
      expect([items.peek(1), items.peek(2), items.peek(150)]).toEqual(['a', 'b', 'c'])
    }, patience)
    const heard = new Promise<unknown>((resolve) =>
      items.on('invalidate', (event) => {
        if (event.origin === 'tracking' && event.keys !== 'all' && event.keys.includes(1)) resolve(event.keys)
      }),
    )
    await own.admin.hset(`${items.name}:b:0`, '1', 'changed')
    expect(await heard).toEqual(expect.arrayContaining([1, 2]))
    expect(items.peek(150)).toBe('c')
    expect(await items.get(1)).toBe('changed')
  })

  it("sync: 'tracking' with 2,000 entries in L1 drops exactly the bucket another client changed, whatever the layout", async () => {
    const layouts = [
      sized({ sync: 'tracking', localTtl: '1h', localMax: 5_000 }),
      cache<number, string>({
        keyType: 'int',
        valueType: 'string',
        sync: 'tracking',
        localTtl: '1h',
        localMax: 5_000,
        // Buckets by the key's last digit: bucket 3 holds 3, 13, 23...
        storage: { kind: 'hash', bucket: (key) => [key % 10, Math.floor(key / 10)] },
      }),
    ]
    const keys = Array.from({ length: 2_000 }, (_, key) => key)
    for (const [items, bucketKey, field, inBucket] of [
      [layouts[0], 'b:3', '7', (key: number) => Math.floor(key / 100) === 3],
      [layouts[1], 'b:3', '1', (key: number) => key % 10 === 3],
    ] as const) {
      if (items === undefined) throw new Error('no cache')
      await items.ready()
      await items.setMany(keys.map((key) => [key, `v${key}`]))
      // Redis's tracking echoes the cache's own writes, in order: once a later write's news (a bucket
      // that holds nothing here) has come, the echoes have all come, and what is read stays in L1.
      const echoed = new Promise<void>((resolve) =>
        items.on('invalidate', (event) => {
          if (event.origin === 'tracking' && event.keys !== 'all' && event.keys.length === 0) resolve()
        }),
      )
      await own.admin.hset(`${items.name}:b:marker`, '0', 'marker')
      await echoed
      await items.getMany(keys)
      expect(items.stats().localSize).toBe(2_000)
      const heard = new Promise<number[]>((resolve) =>
        items.on('invalidate', (event) => {
          if (event.origin === 'tracking' && event.keys !== 'all' && event.keys.length > 1)
            resolve(event.keys)
        }),
      )
      await own.admin.hset(`${items.name}:${bucketKey}`, field, 'changed')
      const dropped = await heard
      expect(dropped.sort((a, b) => a - b)).toEqual(keys.filter(inBucket))
      expect(keys.filter((key) => items.peek(key) === undefined)).toEqual(keys.filter(inBucket))
    }
  })

  it("bucketExpire: a bucket that persists for an entry without expiry is never given a TTL by a later write ('always' and 'on-create')", async () => {
    for (const bucketExpire of ['always', 'on-create'] as const) {
      const items = sized({ expireTime: null, bucketExpire })
      await items.set(0, 'kept for good')
      await items.setMany(
        [
          [1, 'expires'],
          [2, 'expires too'],
        ],
        { expireTime: '2s' },
      )
      await items.set(3, 'expires later', { expireTime: '1h' })
      expect(await own.admin.pttl(`${items.name}:b:0`), bucketExpire).toBe(-1)
      expect(await items.get(0)).toBe('kept for good')
    }
  })

  it("bucketExpire: 'always' and 'on-create' set a new bucket's TTL once however many fields one write brings", async () => {
    const onCreate = sized({ expireTime: '1h', bucketExpire: 'on-create' })
    const keys = Array.from({ length: 100 }, (_, key) => key)
    await onCreate.setMany(keys.map((key) => [key, `v${key}`]))
    const ttl = await own.admin.pttl(`${onCreate.name}:b:0`)
    expect(ttl).toBeGreaterThan(3_000_000)
    expect(ttl).toBeLessThanOrEqual(3_600_000)
    expect(await own.admin.hlen(`${onCreate.name}:b:0`)).toBe(100)
  })

  it("entryExpiry 'header': setMany() with an expiry writes more fields to one bucket than one Lua unpack takes, in one step", async () => {
    const items = cache<number, string>({
      keyType: 'int',
      valueType: 'string',
      storage: { kind: 'hash', bucketSize: 3000, entryExpiry: 'header' },
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
    } finally {
      warnings.mockRestore()
    }
  })

  it('the storage and bucketExpire options are validated', () => {
    expect(() => cache({ storage: { kind: 'hash', bucketSize: 10 } })).toThrow(/keyType: 'int'/)
    expect(() => cache<number>({ keyType: 'int', storage: { kind: 'hash', bucketSize: 0 } })).toThrow(
      /bucketSize/,
    )
    expect(() => cache({ storage: { kind: 'list' } as never })).toThrow(/storage/)
    expect(() => cache({ storage: { kind: 'hash', bucket: 'b' } as never })).toThrow(/storage\.bucket/)
    expect(() => cache({ bucketExpire: 'sometimes' as never })).toThrow(/bucketExpire/)
    expect(() => cache({ bucketExpire: 'always' })).toThrow(/bucketExpire.*storage/)
    // Sliding expiry pushes each field's own TTL back: it needs entryExpiry 'auto' and buckets that
    // do not die at a fixed time.
    expect(() =>
      cache<number>({
        keyType: 'int',
        storage: { kind: 'hash', bucketSize: 10, entryExpiry: 'header' },
        expireTime: '1m',
        refreshExpireTimeOnGet: true,
      }),
    ).toThrow(/refreshExpireTimeOnGet.*entryExpiry: 'header'/)
    expect(() =>
      cache<number>({
        keyType: 'int',
        storage: { kind: 'hash', bucketSize: 10 },
        bucketExpire: 'on-create',
        expireTime: '1m',
        refreshExpireTimeOnGet: true,
      }),
    ).toThrow(/refreshExpireTimeOnGet.*on-create/)
    expect(() => cache({ storage: { kind: 'hash', bucketSize: 10, entryExpiry: 'field' } as never })).toThrow(
      /'auto', 'header' or 'bucket'.*'field'/,
    )
  })
})
