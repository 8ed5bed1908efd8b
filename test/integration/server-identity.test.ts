import { Redis } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import { useOwnServer } from '../support/own-server.js'

/** The `field:value` lines of `INFO server`. */
async function serverInfo(url: string): Promise<Map<string, string>> {
  const client = new Redis(url)
  try {
    const text = await client.info('server')
    return new Map(
      text
        .split(/\r?\n/)
        .filter((line) => line.includes(':') && !line.startsWith('#'))
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)] as const),
    )
  } finally {
    client.disconnect()
  }
}

// .ci/run runs the suite on several servers through FLIPCACHE_REDIS_SERVER: a run must be on the
// server it reports, or the matrix would test one server several times.
describe('the server a run is on', () => {
  const own = useOwnServer()

  it('is the one the run reports (FLIPCACHE_REDIS_SERVER, else redis-server), as INFO server says', async () => {
    const identity = inject('redisServer')
    expect(['Redis', 'Valkey']).toContain(identity.name)
    // Valkey answers redis_version 7.2.4 for clients that check it, and its own version apart.
    const field = identity.name === 'Valkey' ? 'valkey_version' : 'redis_version'
    expect((await serverInfo(inject('redisUrl'))).get(field)).toBe(identity.version)
  })

  it('is also what a test file starts for itself, and the version read from its log is right', async () => {
    const identity = inject('redisServer')
    expect(own.server.version).toBe(identity.version)
    const info = await serverInfo(own.server.url)
    expect(info.get(identity.name === 'Valkey' ? 'valkey_version' : 'redis_version')).toBe(identity.version)
    expect(info.has('valkey_version')).toBe(identity.name === 'Valkey')
  })
})
