import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FlipCache, type FlipCacheError, type FlipCacheOptions } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { commandCalls } from '../support/command-stats.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'
import { freePort } from '../support/redis-server.js'
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js'

// ACL users, proxies and command counts: a server of this file's own.
const own = useOwnServer()

const opened: { close(): unknown }[] = []
const clients: Redis[] = []
afterEach(async () => {
  for (const each of opened.splice(0).reverse()) await each.close()
  for (const client of clients.splice(0)) client.disconnect()
})

function client(options: { port?: number; username?: string } = {}): Redis {
  const redis = new Redis({
    host: '127.0.0.1',
    port: options.port ?? own.server.port,
    username: options.username,
  })
  redis.on('error', () => {})
  clients.push(redis)
  return redis
}

function cache(
  redis: Redis,
  name: string,
  maxStaleness?: FlipCacheOptions<string, string>['maxStaleness'],
): FlipCache<string, string> {
  const made = new FlipCache<string, string>(name, {
    redis,
    valueType: 'string',
    localTtl: '1h',
    ...(maxStaleness === undefined ? {} : { maxStaleness }),
  })
  opened.push(made)
  return made
}

async function proxy(): Promise<TcpProxy> {
  const started = await startTcpProxy(own.server.port)
  opened.push(started)
  return started
}

function errorsOf(target: FlipCache<string, string>): FlipCacheError[] {
  const errors: FlipCacheError[] = []
  target.on('error', (error) => errors.push(error))
  return errors
}

describe('bounded staleness', () => {
  it('a silent partition of the subscriber: the cut-off instance stops serving its old copy within maxStaleness, and takes L1 up again once it hears', async () => {
    const link = await proxy()
    const name = uniqueName('partition')
    const writer = cache(client(), name)
    const reader = cache(client({ port: link.port }), name)
    await Promise.all([writer.ready(), reader.ready()])
    const errors = errorsOf(reader)
    await writer.set('k', 'v1')
    // The reader may hear of the write after its first read left: that read does not fill L1.
    await vi.waitFor(async () => {
      expect(await reader.get('k')).toBe('v1')
      expect(reader.peek('k')).toBe('v1')
    }, patience)

    const [subscriber] = link.connectionsWith('SUBSCRIBE')
    if (subscriber === undefined) throw new Error('the reader has no subscriber connection through the proxy')
    subscriber.mode = 'blackhole'
    await writer.set('k', 'v2')
    const writtenAt = performance.now()
    await vi.waitFor(async () => expect(await reader.get('k')).toBe('v2'), patience)
    const staleMs = performance.now() - writtenAt
    // The bound is 2 s; a loaded machine may run the check a little late.
    expect(staleMs).toBeLessThan(3_500)
    expect(errors.map((error) => error.code)).toContain('E_SYNC_UNHEARD')
    // Unconfirmed, L1 keeps nothing: every read goes to Redis.
    expect(reader.peek('k')).toBeUndefined()

    subscriber.mode = 'pass'
    await vi.waitFor(async () => {
      expect(await reader.get('k')).toBe('v2')
      expect(reader.peek('k')).toBe('v2')
    }, patience)
  })

  it("sync: 'tracking': a silent partition of the connection Redis sends its invalidations to stops the old copy within maxStaleness", async () => {
    const link = await proxy()
    const name = uniqueName('tracking-partition')
    const reader = new FlipCache<string, string>(name, {
      redis: client({ port: link.port }),
      valueType: 'string',
      localTtl: '1h',
      sync: 'tracking',
    })
    opened.push(reader)
    await reader.ready()
    const errors = errorsOf(reader)
    // Another program writes: only Redis's tracking tells the reader.
    await own.admin.set(`${name}:k`, 'v1')
    await vi.waitFor(async () => {
      expect(await reader.get('k')).toBe('v1')
      expect(reader.peek('k')).toBe('v1')
    }, patience)
    const [redirect] = link.connectionsWith('flipcache-tracking')
    if (redirect === undefined) throw new Error('the reader has no tracking connection through the proxy')
    redirect.mode = 'blackhole'
    await own.admin.set(`${name}:k`, 'v2')
    const writtenAt = performance.now()
    await vi.waitFor(async () => expect(await reader.get('k')).toBe('v2'), patience)
    expect(performance.now() - writtenAt).toBeLessThan(3_500)
    expect(errors.map((error) => error.message)).toContainEqual(expect.stringMatching(/tracking connection/))
    redirect.mode = 'pass'
    await vi.waitFor(async () => {
      expect(await reader.get('k')).toBe('v2')
      expect(reader.peek('k')).toBe('v2')
    }, patience)
  })

  it('a subscriber connection that drops while the client stays up turns L1 off at once, until it hears again', async () => {
    const link = await proxy()
    const name = uniqueName('dropped')
    const writer = cache(client(), name)
    const reader = cache(client({ port: link.port }), name)
    await Promise.all([writer.ready(), reader.ready()])
    const errors = errorsOf(reader)
    await writer.set('k', 'v1')
    expect(await reader.get('k')).toBe('v1')
    link.connectionsWith('SUBSCRIBE')[0]?.cut()
    await vi.waitFor(
      () =>
        expect(errors.map((error) => error.message)).toContainEqual(
          expect.stringMatching(/subscriber connection dropped/),
        ),
      patience,
    )
    await writer.set('k', 'v2')
    await vi.waitFor(async () => {
      expect(await reader.get('k')).toBe('v2')
      expect(reader.peek('k')).toBe('v2')
    }, patience)
  })

  it('the heartbeat costs about one PUBLISH a second per client, whatever the number of caches on it', async () => {
    const shared = client()
    const caches = Array.from({ length: 5 }, () => cache(shared, uniqueName('beat')))
    await Promise.all(caches.map((each) => each.ready()))
    const before = (await commandCalls(own.admin)).publish ?? 0
    const startedAt = performance.now()
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const seconds = (performance.now() - startedAt) / 1000
    const published = ((await commandCalls(own.admin)).publish ?? 0) - before
    expect(published).toBeGreaterThanOrEqual(1)
    expect(published).toBeLessThanOrEqual(Math.ceil(seconds) + 1)
  })
})

describe('invalidation notices that fail', () => {
  it('are reported, retried in one message, and reach the other instances once Redis takes them', async () => {
    const user = uniqueName('nopub')
    await own.admin.call('ACL', 'SETUSER', user, 'on', 'nopass', '~*', '&*', '+@all', '-publish')
    const name = uniqueName('notice')
    const writer = cache(client({ username: user }), name, '5s')
    const reader = cache(client(), name)
    await reader.ready()
    const errors = errorsOf(writer)
    await writer.set('k', 'v1')
    expect(await reader.get('k')).toBe('v1')
    // The write lands; its notice is refused (NOPERM).
    await writer.set('k', 'v2')
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toContain('E_SYNC_NOTICE'), patience)
    expect(reader.peek('k')).toBe('v1')
    await own.admin.call('ACL', 'SETUSER', user, '+publish')
    await vi.waitFor(() => expect(reader.peek('k')).toBeUndefined(), patience)
    expect(await reader.get('k')).toBe('v2')
    expect(writer.stats().invalidationsFailed).toBe(0)
  })

  it('are given up once maxStaleness has passed, and counted', async () => {
    const user = uniqueName('nopub')
    await own.admin.call('ACL', 'SETUSER', user, 'on', 'nopass', '~*', '&*', '+@all', '-publish')
    const writer = cache(client({ username: user }), uniqueName('notice'), '300ms')
    const errors = errorsOf(writer)
    await writer.set('k', 'v')
    await writer.set('j', 'v')
    await vi.waitFor(() => expect(writer.stats().invalidationsFailed).toBeGreaterThanOrEqual(1), patience)
    const notices = errors.filter((error) => error.code === 'E_SYNC_NOTICE')
    expect(notices.some((error) => /Gave up/.test(error.message))).toBe(true)
  })
})

describe('a sync subscription that cannot be made', () => {
  it('refused by Redis (an ACL without the channel): reported as E_SYNC_REFUSED and a process warning; ready() resolves; L1 stays off', async () => {
    const user = uniqueName('nosub')
    await own.admin.call('ACL', 'SETUSER', user, 'on', 'nopass', '~*', 'resetchannels', '+@all')
    const warnings: string[] = []
    const onWarning = (warning: Error & { code?: string }): void => {
      if (warning.code !== undefined) warnings.push(warning.code)
    }
    process.on('warning', onWarning)
    try {
      const refused = cache(client({ username: user }), uniqueName('refused'))
      const errors = errorsOf(refused)
      await refused.ready()
      await vi.waitFor(() => expect(errors.map((error) => error.code)).toContain('E_SYNC_REFUSED'), patience)
      await vi.waitFor(() => expect(warnings).toContain('E_SYNC_REFUSED'), patience)
      await refused.set('k', 'v')
      expect(await refused.get('k')).toBe('v')
      expect(refused.peek('k')).toBeUndefined()
    } finally {
      process.off('warning', onWarning)
    }
  })

  it('Redis unreachable: ready() rejects with E_REDIS after timeout instead of hanging', async () => {
    const dead = new FlipCache<string, string>(uniqueName('dead'), {
      redis: `redis://127.0.0.1:${await freePort()}`,
      timeout: 300,
    })
    opened.push(dead)
    dead.on('error', () => {})
    const startedAt = performance.now()
    await expect(dead.ready()).rejects.toMatchObject({
      code: 'E_REDIS',
      message: expect.stringMatching(/not ready/),
    })
    expect(performance.now() - startedAt).toBeLessThan(3_000)
  })
})
