import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FlipCache, Invalidation } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { patience } from '../support/patience.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// These tests kill connections, restart Redis and count commands: they run on a server of their own.
let server: RedisServer
let admin: Redis
beforeAll(async () => {
  server = await startRedisServer()
  admin = new Redis(server.url)
  admin.on('error', () => {})
})
afterAll(async () => {
  admin.disconnect()
  await server.stop()
})

/** Kills every connection that holds channel subscriptions (CLIENT KILL by id). */
async function killSubscribers(): Promise<number> {
  const ids = String(await admin.call('CLIENT', 'LIST'))
    .split('\n')
    .filter((line) => /\bsub=[1-9]/.test(line))
    .map((line) => /\bid=(\d+)/.exec(line)?.[1])
  for (const id of ids) if (id !== undefined) await admin.call('CLIENT', 'KILL', 'ID', id)
  return ids.length
}

/** Resolves at the next 'invalidate' event of `cache` that matches `origin`. */
function nextInvalidation<K, V>(cache: FlipCache<K, V>, origin?: string): Promise<Invalidation<K>> {
  return new Promise((resolve) => {
    const listener = (invalidation: Invalidation<K>): void => {
      if (origin !== undefined && invalidation.origin !== origin) return
      cache.off('invalidate', listener)
      resolve(invalidation)
    }
    cache.on('invalidate', listener)
  })
}

describe("sync: 'pubsub'", () => {
  const { cache, client } = useCaches(() => server.url)

  /** `count` instances of one namespace, each on a client of its own, subscribed. */
  async function instances<K = string, V = string>(count: number, options = {}): Promise<FlipCache<K, V>[]> {
    const first = cache<K, V>({ redis: client(), valueType: 'string', ...options } as never)
    const rest = Array.from({ length: count - 1 }, () =>
      cache<K, V>({ redis: client(), valueType: 'string', ...options } as never, first.name),
    )
    const all = [first, ...rest]
    await Promise.all(all.map((each) => each.ready()))
    return all
  }

  it('after a.set() resolves, b.get() returns the new value once the invalidation has arrived', async () => {
    const [a, b] = (await instances(2)) as [FlipCache<string, string>, FlipCache<string, string>]
    // b hears of v1 before it reads: a notice that lands while b's read is on its way keeps the read
    // out of L1 (rightly), and a's reply and b's notice come on two connections in either order.
    const heardFirst = nextInvalidation(b)
    await a.set('k', 'v1')
    await heardFirst
    expect(await b.get('k')).toBe('v1')
    expect(b.peek('k')).toBe('v1')
    const heard = nextInvalidation(b)
    await a.set('k', 'v2')
    expect(await heard).toEqual({ keys: ['k'], origin: 'remote' })
    expect(b.peek('k')).toBeUndefined()
    expect(await b.get('k')).toBe('v2')
    expect(b.stats().invalidationsReceived).toBe(2)
    expect(a.stats()).toMatchObject({ invalidationsSent: 2, invalidationsReceived: 0 })
  })

  it('delete(), deleteMany() and clear() reach every instance', async () => {
    const caches = (await instances(4)) as FlipCache<string, string>[]
    const [writer, ...readers] = caches as [FlipCache<string, string>, ...FlipCache<string, string>[]]
    // The readers hear of the setMany before the checks below listen: its notice comes on another
    // connection than the writer's reply, and could otherwise be the one a check hears.
    let heard = Promise.all(readers.map((reader) => nextInvalidation(reader)))
    await writer.setMany([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ])
    await heard
    for (const reader of readers) expect(await reader.getMany(['a', 'b', 'c'])).toEqual(['1', '2', '3'])
    heard = Promise.all(readers.map((reader) => nextInvalidation(reader)))
    await writer.delete('a')
    expect((await heard).map((each) => each.keys)).toEqual([['a'], ['a'], ['a']])
    heard = Promise.all(readers.map((reader) => nextInvalidation(reader)))
    await writer.deleteMany(['b'])
    await heard
    heard = Promise.all(readers.map((reader) => nextInvalidation(reader)))
    await writer.clear()
    expect((await heard).map((each) => each.keys)).toEqual(['all', 'all', 'all'])
    for (const reader of readers) {
      expect(reader.stats().localSize).toBe(0)
      expect(await reader.getMany(['a', 'b', 'c'])).toEqual([undefined, undefined, undefined])
    }
  })

  it('clear() reaches every instance with one message, and writes of one tick travel as one', async () => {
    // The heartbeat's own PUBLISH (one a second) would land in the counts: it is off here.
    const [a, b] = (await instances(2, { maxStaleness: false })) as [
      FlipCache<string, string>,
      FlipCache<string, string>,
    ]
    // b hears each notice before it listens for the next (the notices and a's replies come on
    // different connections, in either order).
    const stored = nextInvalidation(b)
    await a.setMany(Array.from({ length: 300 }, (_, index): [string, string] => [`k${index}`, 'v']))
    expect((await stored).keys).toHaveLength(300)
    const cleared = nextInvalidation(b)
    expect(await countCommands(admin, () => a.clear())).toMatchObject({ publish: 1 })
    expect((await cleared).keys).toBe('all')
    const heard = nextInvalidation(b)
    const commands = await countCommands(admin, () =>
      Promise.all(Array.from({ length: 50 }, (_, index) => a.set(`k${index}`, 'w'))),
    )
    expect(commands).toEqual({ set: 50, publish: 1 })
    expect((await heard).keys).toHaveLength(50)
  })

  it('messages carry keys only, never values, and an instance skips its own', async () => {
    const [a, b] = (await instances(2)) as [FlipCache<string, string>, FlipCache<string, string>]
    const subscriber = new Redis(server.url)
    const messages: string[] = []
    await subscriber.subscribe(`${a.name}:__sync`)
    subscriber.on('message', (_channel: string, message: string) => messages.push(message))
    const heardByA: (string[] | 'all')[] = []
    a.on('invalidate', ({ keys, origin }) => {
      if (origin !== 'local') heardByA.push(keys)
    })
    await a.set('secret-key', 'secret value')
    await vi.waitFor(() => expect(messages).toHaveLength(1), patience)
    expect(messages[0]).toContain('secret-key')
    expect(messages[0]).not.toContain('secret value')
    // b's message follows a's own on the channel a listens to: once a has heard b's, it has had its own.
    await b.set('from-b', 'v')
    await vi.waitFor(() => expect(heardByA).toContainEqual(['from-b']), patience)
    expect(heardByA).toEqual([['from-b']])
    expect(a.stats().invalidationsReceived).toBe(1)
    expect(b.stats().invalidationsReceived).toBe(1)
    subscriber.disconnect()
  })

  it('all the caches that share a client share one subscriber connection', async () => {
    const shared = client()
    const caches = Array.from({ length: 6 }, (_, index) =>
      cache<string, string>({ redis: shared, valueType: 'string' }, `shared-${index}-${Date.now()}`),
    )
    await Promise.all(caches.map((each) => each.ready()))
    // Every connection this test's server has that holds channel subscriptions (those of earlier
    // tests, closed already, may take the server a moment to drop).
    const subscribers = async () =>
      String(await admin.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => /\bsub=[1-9]/.test(line))
    await vi.waitFor(async () => expect(await subscribers()).toHaveLength(1), { timeout: 5_000 })
    // Six sync channels, and the client's heartbeat channel (see heartbeat.ts).
    expect((await subscribers())[0]).toMatch(/\bsub=7\b/)
  })

  it('a read on its way when an invalidation arrives does not put the old value into L1', async () => {
    // A 16 MiB value takes a while to send, receive and parse: calls get 10 s, not the default 1 s
    // (and `maxValueBytes` above the 16 MiB the value takes).
    const options = {
      valueType: 'string',
      localTtl: '1h',
      timeout: '10s',
      maxValueBytes: 32 * 1024 * 1024,
    } as const
    const a = cache<string, string>({ ...options, redis: client() })
    const bClient = client()
    const b = cache<string, string>({ ...options, redis: bClient }, a.name)
    await Promise.all([a.ready(), b.ready()])
    await a.set('k', 'x'.repeat(16 * 1024 * 1024))
    // b's read is on its way once the first bytes of its reply reach b's client; b takes a while to
    // receive and parse the rest, so the invalidation of a's next write (sent on another connection
    // after Redis ran b's GET) lands while b still reads. Whichever comes first, the checks hold.
    const replying = new Promise((resolve) => bClient.stream.once('data', resolve))
    const reading = b.get('k')
    await replying
    await a.set('k', 'small')
    expect((await reading)?.length).toBeGreaterThan(0)
    await vi.waitFor(() => expect(b.stats().invalidationsReceived).toBeGreaterThan(1), patience)
    expect([undefined, 'small']).toContain(b.peek('k'))
    expect(await b.get('k')).toBe('small')
  })

  it('a killed subscriber connection empties L1 on reconnection (origin reconnect)', async () => {
    const [a, b] = (await instances(2)) as [FlipCache<string, string>, FlipCache<string, string>]
    await a.set('k', 'v')
    expect(await b.get('k')).toBe('v')
    const reconnect = nextInvalidation(b, 'reconnect')
    const killed = await killSubscribers()
    expect(killed).toBeGreaterThan(0)
    expect(await reconnect).toEqual({ keys: 'all', origin: 'reconnect' })
    expect(b.peek('k')).toBeUndefined()
    // And it listens again: a later write reaches it.
    expect(await b.get('k')).toBe('v')
    const heard = nextInvalidation(b, 'remote')
    await a.set('k', 'w')
    await heard
    expect(await b.get('k')).toBe('w')
  })

  it("sync: 'none' sends and hears nothing: L1 copies live until localTtl", async () => {
    const [a, b] = (await instances(2, { sync: 'none' })) as [
      FlipCache<string, string>,
      FlipCache<string, string>,
    ]
    await a.set('k', 'v1')
    expect(await b.get('k')).toBe('v1')
    const commands = await countCommands(admin, () => a.set('k', 'v2'))
    expect(commands).toEqual({ set: 1 })
    // What must NOT happen is b dropping its copy; no message was even sent, so a short wait will do.
    await sleep(20)
    expect(b.peek('k')).toBe('v1')
    expect(b.stats().invalidationsReceived).toBe(0)
  })

  it.each(['pubsub', 'tracking'] as const)(
    "becomes ready (and keeps L1) with a client whose offline queue is off (sync: '%s')",
    async (sync) => {
      const redis = new Redis(server.url, { enableOfflineQueue: false })
      try {
        await new Promise((resolve) => redis.once('ready', resolve))
        const items = cache<string, string>({ redis, valueType: 'string', sync })
        await items.ready()
        await items.set('k', 'v')
        expect(await items.get('k')).toBe('v')
        // With tracking too: the cache's own write does not come back (NOLOOP), so L1 keeps it.
        expect(items.peek('k')).toBe('v')
      } finally {
        redis.disconnect()
      }
    },
  )

  it('the sync option is validated', () => {
    expect(() => cache({ sync: 'gossip' as never })).toThrow(/sync.*'gossip'/)
    expect(() => cache({ pubsubDictChannels: 'yes' as never })).toThrow(/pubsubDictChannels.*'yes'/)
  })

  it("pubsubDictChannels speaks redis_pubsub_dict's <name>/update and <name>/delete channels both ways", async () => {
    const [a] = (await instances(1, { pubsubDictChannels: true })) as [FlipCache<string, string>]
    const python = new Redis(server.url)
    const heard: [string, string][] = []
    await python.subscribe(`${a.name}/update`, `${a.name}/delete`)
    python.on('message', (channel: string, message: string) => heard.push([channel, message]))
    await a.set('k', 'v')
    await a.delete('gone')
    await vi.waitFor(
      () =>
        expect(heard).toEqual([
          [`${a.name}/update`, 'k'],
          [`${a.name}/delete`, 'gone'],
        ]),
      patience,
    )
    // Its own messages come back on those channels (they carry no origin): wait for both echoes.
    await vi.waitFor(() => expect(a.stats().invalidationsReceived).toBe(2), patience)
    // A PubSubRedisDict in Python updates key k: this instance drops its copy.
    expect(await a.get('k')).toBe('v')
    expect(a.peek('k')).toBe('v')
    const invalidated = nextInvalidation(a, 'remote')
    await admin.publish(`${a.name}/update`, 'k')
    expect(await invalidated).toEqual({ keys: ['k'], origin: 'remote' })
    expect(a.peek('k')).toBeUndefined()
    python.disconnect()
  })
})

describe('sync across a Redis restart', () => {
  const { cache, client } = useCaches(() => server.url)

  it('a Redis restart empties every L1 on reconnection, and instances hear each other again', async () => {
    const a = cache<string, string>({ redis: client(), valueType: 'string' })
    const b = cache<string, string>({ redis: client(), valueType: 'string' }, a.name)
    await Promise.all([a.ready(), b.ready()])
    await a.set('k', 'v')
    expect(await b.get('k')).toBe('v')
    const reconnect = nextInvalidation(b, 'reconnect')
    await server.stop()
    await server.restart()
    await reconnect
    expect(b.stats().localSize).toBe(0)
    await vi.waitFor(() => a.set('k', 'after'), { timeout: 5_000, interval: 50 })
    await vi.waitFor(async () => expect(await b.get('k')).toBe('after'), { timeout: 5_000, interval: 50 })
    const heard = nextInvalidation(b, 'remote')
    await a.set('k', 'later')
    await heard
    expect(await b.get('k')).toBe('later')
  })
})
