import { describe, expect, it, vi } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { useOwnClients } from '../support/own-clients.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'

// Proxies and stalls: a server of this file's own.
const own = useOwnServer()

const { client, closeAfter, proxy } = useOwnClients(own)

describe('a write reported as failed', () => {
  it('never lands after a write acknowledged later, once a stalled link flows again', async () => {
    const link = await proxy()
    const name = uniqueName('fenced')
    const options = { valueType: 'string', localMax: 0, timeout: 200 } as const
    const stalled = closeAfter(
      new FlipCache<string, string>(name, { ...options, redis: client({ port: link.port }) }),
    )
    const healthy = closeAfter(new FlipCache<string, string>(name, { ...options, redis: client() }))
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

  it('on a link slower than timeout, every call settles within its timeout; once the link is fast again, calls succeed', async () => {
    const link = await proxy()
    const timeout = 200
    const slow = closeAfter(
      new FlipCache<string, string>(uniqueName('slow'), {
        valueType: 'string',
        localMax: 0,
        timeout,
        circuitBreaker: false,
        redis: client({ port: link.port }),
      }),
    )
    slow.on('error', () => {})
    await slow.set('k', 'v')
    link.setMode('delay', 600)
    for (let call = 0; call < 5; call++) {
      const startedAt = performance.now()
      await expect(call % 2 === 0 ? slow.get('k') : slow.set('k', 'w')).rejects.toMatchObject({
        code: expect.stringMatching(/^E_(TIMEOUT|REDIS)$/),
      })
      // Its own timeout, plus what a loaded machine adds; never the link's delay, never a hang.
      expect(performance.now() - startedAt).toBeLessThan(timeout + 350)
    }
    link.setMode('pass')
    await vi.waitFor(async () => expect(await slow.get('k')).toBe('v'), patience)
  })
})
