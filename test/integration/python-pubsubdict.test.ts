import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { FlipCache, pythonTupleKey } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'
import { bytesOf, type PythonCase, pythonFixture, untag } from '../support/python-fixtures.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

/**
 * flipcache with `pubsubDict: true` against what Python's redis_pubsub_dict writes and publishes
 * (test/fixtures/python/pubsubdict.json, recorded by scripts/python/record_pubsubdict.py with the
 * real library, which also checked that Python reads back what flipcache writes).
 */
const fixture = pythonFixture('pubsubdict.json')
const recordedPrefix = 'psd-rec'
const casesOf = (kind: string): PythonCase[] => fixture.cases.filter((each) => each.kind === kind)
type KeyTypeName = 'string' | 'int' | 'float'

/** The case's Redis key, moved from the recording's prefix to `name`. */
function keyIn(name: string, recorded: string): string {
  expect(recorded.startsWith(`${recordedPrefix}/`)).toBe(true)
  return `${name}/${recorded.slice(recordedPrefix.length + 1)}`
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

/** Subscribes a plain client (as a Python PubSubRedisDict would) to `name`'s two channels. */
async function listen(redis: Redis, name: string): Promise<[channel: string, message: Buffer][]> {
  const heard: [string, Buffer][] = []
  redis.on('messageBuffer', (channel: Buffer, message: Buffer) => heard.push([channel.toString(), message]))
  await redis.subscribe(`${name}/update`, `${name}/delete`)
  return heard
}

describe("pubsubDict: redis_pubsub_dict's data, keys and channels", () => {
  const { cache, client } = useCaches()

  const dict = <K = string>(keyType: KeyTypeName = 'string', options = {}, name = uniqueName('psd')) =>
    cache<K, unknown>({ pubsubDict: true, valueType: 'msgpack', keyType: keyType as never, ...options }, name)

  it.each(casesOf('value'))(
    '$name: Python writes, flipcache reads; flipcache writes what Python read',
    async (each) => {
      const users = dict()
      const redisKey = keyIn(users.name, each.key as string)
      await client().set(redisKey, bytesOf(each.pythonBytes))
      expect(await users.get(each.jsKey as string)).toEqual(untag(each.js))
      await users.delete(each.jsKey as string)
      await users.set(each.jsKey as string, untag(each.js))
      expect((await client().getBuffer(redisKey))?.toString('hex')).toBe(each.tsBytes ?? each.pythonBytes)
    },
  )

  it.each(casesOf('key'))('$name: one Redis key for both', async (each) => {
    const users = dict<string | number>(each.keyType as KeyTypeName)
    const redisKey = keyIn(users.name, each.key as string)
    await client().set(redisKey, bytesOf(each.pythonBytes))
    expect(await users.get(each.jsKey as string)).toBe(untag(each.js))
    expect(await collect(users.keys())).toEqual([each.jsKey])
    expect(await collect(users.entries())).toEqual([[each.jsKey, untag(each.js)]])
    await users.delete(each.jsKey as string)
    expect(await client().exists(redisKey)).toBe(0)
    await users.set(each.jsKey as string, untag(each.js))
    expect((await client().getBuffer(redisKey))?.toString('hex')).toBe(each.pythonBytes)
  })

  it.each(casesOf('tuple'))('$name: pythonTupleKey names the key Python wrote', async (each) => {
    const users = dict()
    const key = pythonTupleKey(untag(each.items) as never)
    expect(Buffer.from(key).toString('hex')).toBe(each.pythonBytes)
    await client().set(keyIn(users.name, each.key as string), bytesOf('a178'))
    expect(await users.get(key)).toBe('x')
    expect(await collect(users.keys())).toEqual([key])
  })

  it("flipcache's writes and deletes are published as PubSubRedisDict publishes them, whatever sync is", async () => {
    for (const sync of ['pubsub', 'none'] as const) {
      const name = uniqueName('psd')
      const heard = await listen(client(), name)
      const channelCases = casesOf('channel')
      for (const each of channelCases) {
        const users = dict<string | number>(each.keyType as KeyTypeName, { sync, localMax: 10 }, name)
        if (each.op === 'set') await users.set(each.jsKey as string, 1)
        else await users.delete(each.jsKey as string)
      }
      await vi.waitFor(() => expect(heard).toHaveLength(channelCases.length), patience)
      expect(heard.map(([channel, message]) => [channel, message.toString('hex')])).toEqual(
        channelCases.map((each) => [keyIn(name, each.channel as string), each.pythonBytes]),
      )
    }
  })

  it("a Python peer's update and delete, as PubSubRedisDict publishes them, drop flipcache's L1 copies", async () => {
    const users = dict<string | number>('string')
    const counts = dict<number>('int', {}, users.name)
    await Promise.all([users.ready(), counts.ready()])
    const python = client()
    for (const each of casesOf('channel')) {
      const reader = each.keyType === 'int' ? counts : users
      if (each.keyType === 'float') continue
      const redisKey = `${users.name}/${bytesOf(each.pythonBytes).toString()}`
      await reader.delete(each.jsKey as never)
      await python.set(redisKey, bytesOf('01'))
      expect(await reader.get(each.jsKey as never)).toBe(1)
      expect(reader.peek(each.jsKey as never)).toBe(1)
      // What `reddict[key] = 2` / `del reddict[key]` does: the write, then the key on its channel.
      if (each.op === 'set') await python.set(redisKey, bytesOf('02'))
      else await python.del(redisKey)
      await python.publish(keyIn(users.name, each.channel as string), bytesOf(each.pythonBytes))
      await vi.waitFor(() => expect(reader.peek(each.jsKey as never)).toBeUndefined(), patience)
      expect(await reader.get(each.jsKey as never)).toBe(each.op === 'set' ? 2 : undefined)
    }
  })

  it("with sync: 'tracking', a write to <name>/<key> that publishes nothing still drops the L1 copy", async () => {
    const users = dict('string', { sync: 'tracking' })
    await users.ready()
    const python = client()
    await python.set(`${users.name}/k`, bytesOf('01'))
    // The SET's own invalidation may come after a first read filled L1: read until a copy stays.
    await vi.waitFor(async () => {
      expect(await users.get('k')).toBe(1)
      expect(users.peek('k')).toBe(1)
    }, patience)
    // RedisDict's plain `reddict['k'] = 2`: no message, Redis's tracking tells.
    await python.set(`${users.name}/k`, bytesOf('02'))
    await vi.waitFor(() => expect(users.peek('k')).toBeUndefined(), patience)
    expect(await users.get('k')).toBe(2)
  })

  it('keys(), entries() and clear() stay inside <name>/, apart from name:… and other prefixes', async () => {
    const users = dict()
    const python = client()
    await python.set(`${users.name}/a`, bytesOf('01'))
    await python.set(`${users.name}:b`, bytesOf('02'))
    await python.set(`${users.name}x/c`, bytesOf('03'))
    expect(await collect(users.keys())).toEqual(['a'])
    expect(await collect(users.entries())).toEqual([['a', 1]])
    await users.clear()
    expect(await python.exists(`${users.name}/a`, `${users.name}:b`, `${users.name}x/c`)).toBe(2)
  })

  it('getMany, setMany and deleteMany use <name>/<key>', async () => {
    const users = dict()
    const python = client()
    await users.setMany([
      ['a', 1],
      ['b', 'two'],
    ])
    expect((await python.getBuffer(`${users.name}/a`))?.toString('hex')).toBe('01')
    expect((await python.getBuffer(`${users.name}/b`))?.toString('hex')).toBe('a374776f')
    await python.set(`${users.name}/c`, bytesOf('c3'))
    expect(await users.getMany(['a', 'b', 'c', 'd'])).toEqual([1, 'two', true, undefined])
    expect(await users.deleteMany(['a', 'b'])).toBe(2)
    expect(await python.exists(`${users.name}/a`, `${users.name}/b`)).toBe(0)
  })

  it("getOrSet's lock is <lockPrefix><name>/<key>", async () => {
    const users = dict()
    const python = client()
    let release: (() => void) | undefined
    const loading = users.getOrSet(
      'k',
      () =>
        new Promise<number>((resolve) => {
          release = () => resolve(7)
        }),
    )
    // The loader runs once the lock is held: then the lock key is there, under <name>/.
    await vi.waitFor(() => expect(release).toBeDefined(), patience)
    expect(await python.exists(`_lock:${users.name}/k`)).toBe(1)
    release?.()
    expect(await loading).toBe(7)
    expect((await python.getBuffer(`${users.name}/k`))?.toString('hex')).toBe('07')
  })

  it('a version lives under <name>:v<version>/ (a Python prefix of `name:v<version>`), channels included', async () => {
    const name = uniqueName('psd')
    const heard = await listen(client(), `${name}:v2`)
    const python = client()
    const v2 = dict('string', { version: 2 }, name)
    await v2.set('k', 1)
    expect((await python.getBuffer(`${name}:v2/k`))?.toString('hex')).toBe('01')
    await vi.waitFor(() =>
      expect(heard.map(([c, m]) => [c, m.toString()])).toEqual([[`${name}:v2/update`, 'k']]),
    )
    const v1Heard = await listen(client(), `${name}:v1`)
    await python.set(`${name}:v1/old`, bytesOf('01'))
    await python.set(`${name}:v1:other`, bytesOf('01'))
    expect(await v2.clearVersions([1])).toBe(1)
    expect(await python.exists(`${name}:v1/old`, `${name}:v1:other`, `${name}:v2/k`)).toBe(2)
    // Version 1's Python peers (prefix `name:v1`) hear of the key removed, as clear()'s would.
    await vi.waitFor(() =>
      expect(v1Heard.map(([c, m]) => [c, m.toString()])).toEqual([[`${name}:v1/delete`, 'old']]),
    )
  })

  it('a cache named {name} keeps its keys in one slot, and its channels are {name}/update and {name}/delete', async () => {
    const name = `{${uniqueName('psd')}}`
    const heard = await listen(client(), name)
    const users = dict('string', {}, name)
    await users.set('k', 1)
    expect(await client().exists(`${name}/k`)).toBe(1)
    await vi.waitFor(() =>
      expect(heard.map(([c, m]) => [c, m.toString()])).toEqual([[`${name}/update`, 'k']]),
    )
  })

  it('writeBehind and writeThrough write <name>/<key> and publish it', async () => {
    const name = uniqueName('psd')
    const heard = await listen(client(), name)
    const flushed: unknown[] = []
    const behind = dict(
      'string',
      { writeBehind: { flush: async (changes: unknown[]) => void flushed.push(...changes) } },
      name,
    )
    await behind.set('b', 2)
    const through = dict('string', { writeThrough: { write: async () => {}, delete: async () => {} } }, name)
    await through.set('t', 3)
    const python = client()
    expect((await python.getBuffer(`${name}/b`))?.toString('hex')).toBe('02')
    expect((await python.getBuffer(`${name}/t`))?.toString('hex')).toBe('03')
    await vi.waitFor(() => expect(flushed).toHaveLength(1), patience)
    await vi.waitFor(() =>
      expect(heard.map(([c, m]) => [c, m.toString()])).toEqual([
        [`${name}/update`, 'b'],
        [`${name}/update`, 't'],
      ]),
    )
  })

  it('refuses, naming why, every option that would make the keys, values or channels differ', () => {
    const refused = (options: object, why: RegExp): void => {
      expect(
        () => new FlipCache(uniqueName('psd'), { redis: client(), pubsubDict: true, ...options }),
      ).toThrow(why)
    }
    refused({}, /pubsubDict: true.*valueType: 'msgpack'.*msgpack\.loads.*'superjson'/)
    refused({ valueType: 'json' }, /msgpack\.loads.*'json'/)
    refused({ valueType: 'msgpack', pubsubDictChannels: false }, /pubsubDictChannels: false/)
    refused(
      { valueType: 'msgpack', storage: { kind: 'hash', bucketSize: 10 }, keyType: 'int' },
      /hash buckets/,
    )
    refused({ valueType: 'msgpack', compress: { threshold: 10 } }, /compress/)
    refused({ valueType: 'msgpack', hashTag: true }, /hashTag.*name the cache `\{name\}`/)
    refused({ valueType: 'msgpack', grace: '1s' }, /grace.*header/)
    refused({ valueType: 'msgpack', refreshAhead: 0.5 }, /refreshAhead.*header/)
    refused({ valueType: 'msgpack', pubsubDict: 'yes' }, /pubsubDict.*'yes'/)
    expect(
      () => new FlipCache(uniqueName('psd'), { redis: client(), pubsubDict: true, valueType: 'bytes' }),
    ).not.toThrow()
  })
})

describe('pubsubDict: clear()', () => {
  // A server of its own: how many SCANs a clear takes depends on every key of the server.
  const own = useOwnServer()
  const { cache, client } = useCaches(() => own.server.url)

  /** Fills `prefix` + k0..k(count-1) with msgpack 1. */
  async function fill(prefix: string, count: number): Promise<void> {
    const pipeline = own.admin.pipeline()
    for (let index = 0; index < count; index++) pipeline.set(`${prefix}k${index}`, bytesOf('01'))
    await pipeline.exec()
  }

  it('publishes each key it removes on <name>/delete, one per message, in the round trips of its deletes', async () => {
    const count = 1200
    const name = uniqueName('psd')
    const heard = await listen(client(), name)
    const counted = client()
    const users = cache<string, unknown>(
      { redis: counted, pubsubDict: true, valueType: 'msgpack', localMax: 0 },
      name,
    )
    const plain = cache<string, unknown>(
      { redis: counted, valueType: 'msgpack', localMax: 0 },
      uniqueName('plain'),
    )
    await Promise.all([users.get('warm'), plain.get('warm')])

    await fill(`${name}/`, count)
    const withOption = countRoundTrips(counted)
    await users.clear()
    const roundTrips = withOption.count
    await vi.waitFor(() => expect(heard).toHaveLength(count), patience)
    expect(new Set(heard.map(([channel]) => channel))).toEqual(new Set([`${name}/delete`]))
    const keys = heard.map(([, message]) => message.toString()).sort()
    expect(keys).toEqual(Array.from({ length: count }, (_, index) => `k${index}`).sort())
    expect(await own.admin.dbsize()).toBe(0)

    // The same keyspace for a cache without the option: the same SCANs and UNLINKs, no round trip more.
    await fill(`${plain.name}:`, count)
    const without = countRoundTrips(counted)
    await plain.clear()
    expect(await own.admin.dbsize()).toBe(0)
    expect(roundTrips).toBeGreaterThan(1)
    expect(without.count).toBe(roundTrips)
  })
})
