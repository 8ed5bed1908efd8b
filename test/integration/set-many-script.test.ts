import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { useCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { useOwnServer } from '../support/own-server.js'

// setMany() with an expiry writes one script per 500 keys (src/store/string-store.ts). Command
// counts are server-wide, and one test changes the server's users, so these run on a server of
// their own.
const own = useOwnServer()

describe('setMany() with an expiry', () => {
  const caches = useCaches(() => own.server.url)
  const cache: typeof caches.cache = (options = {}, name) =>
    caches.cache({ maxStaleness: false, ...options }, name)

  it('writes 1,200 entries as three scripts of at most 500 keys, each value and expiry as SET PX would', async () => {
    const items = cache<number, { id: number }>({ keyType: 'int', localMax: 0, sync: 'none' })
    const entries = Array.from({ length: 1_200 }, (_, i): [number, { id: number }] => [i, { id: i }])
    expect(await countCommands(own.admin, () => items.setMany(entries, { expireTime: 60_000 }))).toEqual({
      eval: 3,
      set: 1_200,
    })
    const reader = cache<number, { id: number }>({ keyType: 'int', localMax: 0 }, items.name)
    expect(await reader.getMany([0, 499, 500, 999, 1_000, 1_199])).toEqual(
      [0, 499, 500, 999, 1_000, 1_199].map((id) => ({ id })),
    )
    for (const key of [0, 500, 1_199]) {
      const left = await own.admin.pttl(`${items.name}:${key}`)
      expect(left).toBeGreaterThan(50_000)
      expect(left).toBeLessThanOrEqual(60_000)
    }
  })

  it('keeps binary values byte for byte', async () => {
    const items = cache<string, Buffer>({ valueType: 'bytes', localMax: 0, sync: 'none' })
    const bytes = Buffer.from([0, 255, 13, 10, 36, 42, 128])
    await items.setMany(
      [
        ['a', bytes],
        ['b', Buffer.alloc(0)],
      ],
      { expireTime: 60_000 },
    )
    expect(await own.admin.getBuffer(`${items.name}:a`)).toEqual(bytes)
    expect(await own.admin.getBuffer(`${items.name}:b`)).toEqual(Buffer.alloc(0))
    expect(await items.getMany(['a', 'b'])).toEqual([bytes, Buffer.alloc(0)])
  })

  it('falls back to SET PX per entry where an ACL refuses scripts, and keeps to SETs after that', async () => {
    await own.admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>secret', '~*', '&*', '+@all', '-@scripting')
    const redis = new Redis(own.server.url, { username: 'noscripts', password: 'secret' })
    try {
      await expect(redis.eval('return 1', 0)).rejects.toThrow(/NOPERM/)
      const items = cache<number, number>({ redis, keyType: 'int', valueType: 'int' })
      const first = Array.from({ length: 20 }, (_, i): [number, number] => [i, i])
      await items.setMany(first, { expireTime: 60_000 })
      const reader = cache<number, number>({ keyType: 'int', valueType: 'int', localMax: 0 }, items.name)
      expect(await reader.getMany(first.map(([key]) => key))).toEqual(first.map(([, value]) => value))
      expect(await own.admin.pttl(`${items.name}:7`)).toBeGreaterThan(50_000)
      // The refusal is remembered: the next write goes straight to SETs.
      const second = first.map(([key]): [number, number] => [key, key * 10])
      const counted = await countCommands(own.admin, () => items.setMany(second, { expireTime: 60_000 }))
      expect(counted.eval).toBeUndefined()
      expect(counted.set).toBe(20)
      expect(await reader.getMany([0, 19])).toEqual([0, 190])
      expect(items.stats().errors).toBe(0)
    } finally {
      redis.disconnect()
      await own.admin.call('ACL', 'DELUSER', 'noscripts')
    }
  })
})
