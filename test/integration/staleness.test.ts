import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { FlipCache, type FlipCacheError, type FlipCacheOptions } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { commandCalls } from '../support/command-stats.js'
import { useOwnClients } from '../support/own-clients.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'
import { freePort } from '../support/redis-server.js'
import type { ProxiedConnection, TcpProxy } from '../support/tcp-proxy.js'

// ACL users, proxies and command counts: a server of this file's own.
const own = useOwnServer()

const { client, closeAfter, proxy } = useOwnClients(own)

/** A cache of string values whose L1 copies live an hour: only invalidations (or their absence) end them. */
function cache(
  redis: Redis,
  name: string,
  options: Pick<FlipCacheOptions<string, string>, 'maxStaleness' | 'sync'> = {},
): FlipCache<string, string> {
  return closeAfter(
    new FlipCache<string, string>(name, { redis, valueType: 'string', localTtl: '1h', ...options }),
  )
}

function errorsOf(target: FlipCache<string, string>): FlipCacheError[] {
  const errors: FlipCacheError[] = []
  target.on('error', (error) => errors.push(error))
  return errors
}

/** Resolves once `reader` serves `value` of key `k` and holds it in L1. */
async function untilHeldInL1(reader: FlipCache<string, string>, value: string): Promise<void> {
  // The reader may hear of a write after its first read left: that read does not fill L1.
  await vi.waitFor(async () => {
    expect(await reader.get('k')).toBe(value)
    expect(reader.peek('k')).toBe(value)
  }, patience)
}

/** A reader that reaches the server through a proxy, holding `k` = 'v1' in L1, and how `k` gets written. */
interface ProxiedReader {
  link: TcpProxy
  reader: FlipCache<string, string>
  errors: FlipCacheError[]
  /** Writes `k`: through a cache on a direct client; with `sync: 'tracking'`, as another program (only Redis's tracking tells the reader). */
  write(value: string): Promise<unknown>
}

async function proxiedReader(label: string, sync: 'pubsub' | 'tracking' = 'pubsub'): Promise<ProxiedReader> {
  const link = await proxy()
  const name = uniqueName(label)
  const reader = cache(client({ port: link.port }), name, { sync })
  let write: (value: string) => Promise<unknown> = (value) => own.admin.set(`${name}:k`, value)
  if (sync === 'pubsub') {
    const writer = cache(client(), name)
    await writer.ready()
    write = (value) => writer.set('k', value)
  }
  await reader.ready()
  const errors = errorsOf(reader)
  await write('v1')
  await untilHeldInL1(reader, 'v1')
  return { link, reader, errors, write }
}

/**
 * Silences the reader's connection whose opening holds `opening` (bytes go nowhere, the connection
 * stays up), writes `k` = 'v2', and resolves once the reader serves it: the connection, to let it
 * pass again, and how long the old copy was served.
 */
async function partitioned(
  { link, reader, write }: ProxiedReader,
  opening: string,
): Promise<{ connection: ProxiedConnection; staleMs: number }> {
  const [connection] = link.connectionsWith(opening)
  if (connection === undefined) throw new Error(`the reader has no ${opening} connection through the proxy`)
  connection.mode = 'blackhole'
  await write('v2')
  const writtenAt = performance.now()
  await vi.waitFor(async () => expect(await reader.get('k')).toBe('v2'), patience)
  return { connection, staleMs: performance.now() - writtenAt }
}

describe('bounded staleness', () => {
  it('a silent partition of the subscriber: the cut-off instance stops serving its old copy within maxStaleness, and takes L1 up again once it hears', async () => {
    const setup = await proxiedReader('partition')
    const { reader, errors } = setup
    const { connection: subscriber, staleMs } = await partitioned(setup, 'SUBSCRIBE')
    // The bound is 2 s; a loaded machine may run the check a little late.
    expect(staleMs).toBeLessThan(3_500)
    expect(errors.map((error) => error.code)).toContain('E_SYNC_UNHEARD')
    // Unconfirmed, L1 keeps nothing: every read goes to Redis.
    expect(reader.peek('k')).toBeUndefined()

    subscriber.mode = 'pass'
    await untilHeldInL1(reader, 'v2')
  })

  it("sync: 'tracking': a silent partition of the connection Redis sends its invalidations to stops the old copy within maxStaleness", async () => {
    const setup = await proxiedReader('tracking-partition', 'tracking')
    const { reader, errors } = setup
    const { connection: redirect, staleMs } = await partitioned(setup, 'flipcache-tracking')
    expect(staleMs).toBeLessThan(3_500)
    expect(errors.map((error) => error.message)).toContainEqual(expect.stringMatching(/tracking connection/))
    redirect.mode = 'pass'
    await untilHeldInL1(reader, 'v2')
  })

  it('a subscriber connection that drops while the client stays up turns L1 off at once, until it hears again', async () => {
    const { link, errors, reader, write } = await proxiedReader('dropped')
    link.connectionsWith('SUBSCRIBE')[0]?.cut()
    await vi.waitFor(
      () =>
        expect(errors.map((error) => error.message)).toContainEqual(
          expect.stringMatching(/subscriber connection dropped/),
        ),
      patience,
    )
    await write('v2')
    await untilHeldInL1(reader, 'v2')
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
    const writer = cache(client({ username: user }), name, { maxStaleness: '5s' })
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
    const writer = cache(client({ username: user }), uniqueName('notice'), { maxStaleness: '300ms' })
    const errors = errorsOf(writer)
    await writer.set('k', 'v')
    await writer.set('j', 'v')
    await vi.waitFor(() => expect(writer.stats().invalidationsFailed).toBeGreaterThanOrEqual(1), patience)
    // Within a second of the first E_SYNC_NOTICE, the giving up is coalesced: reported as that second ends.
    await vi.waitFor(() => {
      const notices = errors.filter((error) => error.code === 'E_SYNC_NOTICE')
      expect(notices.some((error) => /Gave up/.test(error.message))).toBe(true)
    }, patience)
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
    const dead = closeAfter(
      new FlipCache<string, string>(uniqueName('dead'), {
        redis: `redis://127.0.0.1:${await freePort()}`,
        timeout: 300,
      }),
    )
    dead.on('error', () => {})
    const startedAt = performance.now()
    await expect(dead.ready()).rejects.toMatchObject({
      code: 'E_REDIS',
      message: expect.stringMatching(/not ready/),
    })
    expect(performance.now() - startedAt).toBeLessThan(3_000)
  })
})
