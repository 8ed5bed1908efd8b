import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'
import { startTcpProxy } from '../support/tcp-proxy.js'

// Proxies and stalls: a server of this file's own.
const own = useOwnServer()

const opened: { close(): unknown }[] = []
const clients: Redis[] = []
afterEach(async () => {
  for (const each of opened.splice(0).reverse()) await each.close()
  for (const client of clients.splice(0)) client.disconnect()
})

function client(port: number): Redis {
  const redis = new Redis({ host: '127.0.0.1', port })
  redis.on('error', () => {})
  clients.push(redis)
  return redis
}

describe('a write reported as failed', () => {
  it('never lands after a write acknowledged later, once a stalled link flows again', async () => {
    const link = await startTcpProxy(own.server.port)
    opened.push(link)
    const name = uniqueName('fenced')
    const options = { valueType: 'string', localMax: 0, timeout: 200 } as const
    const stalled = new FlipCache<string, string>(name, { ...options, redis: client(link.port) })
    const healthy = new FlipCache<string, string>(name, { ...options, redis: client(own.server.port) })
    opened.push(stalled, healthy)
    stalled.on('error', () => {})
    const keys = Array.from({ length: 20 }, (_, index) => `k${index}`)
    await stalled.setMany(keys.map((key) => [key, 'first']))

    // The link stops moving bytes (they wait in buffers, as behind a stalled network).
    link.setMode('hold')
    const failed = await Promise.allSettled(keys.map((key) => stalled.set(key, 'late')))
    expect(failed.every((outcome) => outcome.status === 'rejected')).toBe(true)
    expect(failed.map((outcome) => (outcome.status === 'rejected' ? outcome.reason.code : ''))).toContain(
      'E_TIMEOUT',
    )
    // Acknowledged after the others failed.
    await healthy.setMany(keys.map((key) => [key, 'acknowledged']))

    link.setMode('pass')
    // The stalled instance reconnects and works again ...
    await vi.waitFor(async () => expect(await stalled.get('k0')).toBe('acknowledged'), patience)
    await stalled.set('probe', 'p')
    // ... and none of the writes it reported as failed reached Redis, then or later.
    const values = await own.admin.mget(keys.map((key) => `${name}:${key}`))
    expect(new Set(values)).toEqual(new Set(['acknowledged']))
  })
})
