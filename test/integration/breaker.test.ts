import diagnostics from 'node:diagnostics_channel'
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import type { BreakerChange, RedisStatusChange } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'

// Stalls block the whole server: these tests run on one of their own.
const own = useOwnServer()

/** Keeps Redis busy for `ms` in a Lua loop (as a slow script of another client would). */
function busyLoop(ms: number): Promise<unknown> {
  return own.admin.eval(
    `local t = redis.call('TIME') local start = t[1] * 1000 + t[2] / 1000
     while true do t = redis.call('TIME') if t[1] * 1000 + t[2] / 1000 - start > ${ms} then break end end
     return 0`,
    0,
  )
}

describe('circuit breaker against a real server', () => {
  const { cache } = useCaches(() => own.server.url)

  it('after a stall that opened it, calls succeed again soon after Redis recovers, however many callers', async () => {
    const items = cache<string, string>({ localMax: 0, valueType: 'string', timeout: 300 })
    const changes: RedisStatusChange[] = []
    items.on('redis', (change) => changes.push(change))
    // The diagnostics channel hears the same changes.
    const published: BreakerChange[] = []
    const hear = (message: unknown): void => {
      if ((message as BreakerChange).cache === items.name) published.push(message as BreakerChange)
    }
    diagnostics.subscribe('flipcache:breaker', hear)
    onTestFinished(() => {
      diagnostics.unsubscribe('flipcache:breaker', hear)
    })
    await items.ready()
    const keys = Array.from({ length: 32 }, (_, index) => `k${index}`)
    await items.setMany(keys.map((key) => [key, 'v']))
    let running = true
    const callers = keys.map(async (key) => {
      while (running) {
        await items.get(key).catch(() => undefined)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })
    try {
      await busyLoop(1500)
      await vi.waitFor(() => expect(changes.map((change) => change.status)).toContain('down'), {
        timeout: 5_000,
      })
      // Recovery takes the cooldown (1 s) plus one round trip; the bound leaves room for a loaded machine.
      await vi.waitFor(async () => expect(await items.get('k0')).toBe('v'), { timeout: 4_000, interval: 50 })
      await vi.waitFor(() => expect(changes.at(-1)?.status).toBe('up'), { timeout: 4_000 })
      await vi.waitFor(() =>
        expect(published.map(({ status }) => status)).toEqual(changes.map(({ status }) => status)),
      )
      expect(published[0]).toMatchObject({ cache: items.name, status: 'down', error: expect.any(Error) })
    } finally {
      running = false
      await Promise.all(callers)
    }
  })

  it('error replies (WRONGTYPE) never open it: reads of healthy keys go on', async () => {
    const items = cache<string, string>({
      localMax: 0,
      valueType: 'string',
      circuitBreaker: { failures: 2, cooldown: '10s' },
    })
    const changes: RedisStatusChange[] = []
    items.on('redis', (change) => changes.push(change))
    await own.admin.hset(`${items.name}:wrong`, 'field', 'a hash, not a string')
    await items.set('healthy', 'v')
    for (let read = 0; read < 5; read++) {
      await expect(items.get('wrong')).rejects.toMatchObject({ code: 'E_REDIS' })
    }
    expect(await items.get('healthy')).toBe('v')
    expect(changes).toEqual([])
  })
})
