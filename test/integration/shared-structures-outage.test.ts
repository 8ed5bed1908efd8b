import { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { FlipCacheError } from '../../src/index.js'
import { structuresKeyOf } from '../../src/store/structure-keys.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'

// This test suspends Redis, so it runs on a server of its own.
const own = useOwnServer()

const timeout = 200
/** A failing call settles within `timeout` and seconds to spare for a loaded machine, never hangs. */
const noHangMs = timeout + 3_000

describe('sharedStructures while Redis does not answer', () => {
  const { cache, client } = useCaches(() => own.server.url)

  it('a write whose shape is being registered fails cleanly, and nothing written names an unregistered id', async () => {
    const name = uniqueName()
    const errors: FlipCacheError[] = []
    const options = {
      keyType: 'int',
      valueType: 'msgpack',
      sharedStructures: true,
      timeout,
      localMax: 0,
      storage: { kind: 'hash', bucketSize: 100 },
    } as const
    const writer = cache<number, unknown>({ redis: client(), ...options }, name)
    writer.on('error', (error) => errors.push(error))
    expect(await writer.get(0)).toBeUndefined()
    own.server.freeze()
    try {
      const startedAt = performance.now()
      const failure = await writer.set(1, { during: 'outage' }).catch((error: unknown) => error)
      expect(failure).toBeInstanceOf(FlipCacheError)
      expect(['E_TIMEOUT', 'E_REDIS']).toContain((failure as FlipCacheError).code)
      expect(performance.now() - startedAt).toBeLessThan(noHangMs)
      // The registration went out with the write and timed out too: reported, not thrown.
      await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: noHangMs })
    } finally {
      own.server.thaw()
    }
    // Back: writes of the shape work again (plain maps until its id is known, records after).
    await vi.waitFor(
      () =>
        writer.setMany([
          [2, { during: 'outage' }],
          [3, { after: 'outage' }],
        ]),
      {
        timeout: 10_000,
      },
    )
    // Whatever Redis applied of the write that timed out, a fresh reader decodes all of it.
    const admin = new Redis(own.server.url)
    try {
      const readerErrors: FlipCacheError[] = []
      const reader = cache<number, unknown>({ redis: client(), ...options }, name)
      reader.on('error', (error) => readerErrors.push(error))
      const values = await reader.getMany([1, 2, 3])
      expect(values.slice(1)).toEqual([{ during: 'outage' }, { after: 'outage' }])
      expect([undefined, { during: 'outage' }]).toContainEqual(values[0])
      expect(readerErrors).toEqual([])
      const registry = await admin.lrange(structuresKeyOf(`${name}:`), 0, -1)
      expect(new Set(registry.slice(1)).size).toBe(registry.length - 1)
    } finally {
      admin.disconnect()
    }
  })
})
