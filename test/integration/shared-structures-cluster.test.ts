import calculateSlot from 'cluster-key-slot'
import { describe, expect, it, vi } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { structuresKeyOf } from '../../src/store/structure-keys.js'
import { uniqueName, useClusterCaches } from '../support/cache-builder.js'
import { useOwnCluster } from '../support/own-cluster.js'

const own = useOwnCluster()

describe('sharedStructures on a Redis Cluster', () => {
  const { cache, client } = useClusterCaches(() => own.cluster.startupNodes)

  it('entries spread over every slot are written as records of one registry and read by another instance', async () => {
    const name = uniqueName()
    const options = { keyType: 'int', valueType: 'msgpack', sharedStructures: true, localMax: 0 } as const
    const writerErrors: FlipCacheError[] = []
    const writer = cache<number, unknown>({ redis: client(), ...options }, name)
    writer.on('error', (error) => writerErrors.push(error))
    const keys = Array.from({ length: 60 }, (_, index) => index)
    const userOf = (key: number) => ({ id: key, name: `user-${key}`, active: key % 2 === 0 })
    const admin = client()
    // The keys land on the first and the last master (of three); the registry is one key on one of them.
    const slots = keys.map((key) => calculateSlot(`${name}:${key}`))
    expect(slots.some((slot) => slot < 5_000) && slots.some((slot) => slot > 11_000)).toBe(true)
    await vi.waitFor(
      async () => {
        await writer.setMany(keys.map((key) => [key, userOf(key)]))
        for (const key of keys) expect((await admin.getBuffer(`${name}:${key}`))?.[0]).toBe(0xc1)
      },
      { timeout: 15_000 },
    )
    expect(await admin.lrange(structuresKeyOf(`${name}:`), 0, -1)).toEqual([
      expect.stringMatching(/^\d+$/),
      '["id","name","active"]',
    ])
    const readerErrors: FlipCacheError[] = []
    const reader = cache<number, unknown>({ redis: client(), ...options }, name)
    reader.on('error', (error) => readerErrors.push(error))
    expect(await reader.getMany(keys)).toEqual(keys.map(userOf))
    expect([...writerErrors, ...readerErrors]).toEqual([])
  })
})
