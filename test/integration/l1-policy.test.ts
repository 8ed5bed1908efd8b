import { describe, expect, it, vi } from 'vitest'
import type { FlipCache } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'

/** The keys of `keys` that `cache` holds in L1 now. */
function heldOf(cache: FlipCache<string, string>, keys: readonly string[]): string[] {
  return keys.filter((key) => cache.peek(key) !== undefined)
}

describe('L1 bounded by bytes (localMaxBytes)', () => {
  const { cache, sharedClient } = useCaches()

  it('keeps fewer large values, stays under the bound by what it holds, and reads every value back from Redis', async () => {
    const items = cache<string, string>({ valueType: 'string', localMaxBytes: 10_000 })
    const keys = Array.from({ length: 20 }, (_, index) => `k${index}`)
    const largeValue = (key: string): string => key.padEnd(2_000, '.')
    for (const key of keys) await items.set(key, largeValue(key))
    const held = heldOf(items, keys)
    expect(held.length).toBeGreaterThan(0)
    expect(held.length * 2_000).toBeLessThanOrEqual(10_000)
    expect(items.stats().localBytes).toBe(held.length * 2_000)
    expect(items.stats().localSize).toBe(held.length)
    // The last write is kept.
    expect(held).toContain('k19')
    for (const key of keys) expect(await items.get(key)).toBe(largeValue(key))
    expect(items.stats().remoteHits).toBeGreaterThanOrEqual(20 - held.length)
    expect(items.stats().localBytes).toBeLessThanOrEqual(10_000)
  })

  it('keeps many small values under the same bound', async () => {
    const items = cache<string, string>({ valueType: 'string', localMaxBytes: 10_000 })
    const keys = Array.from({ length: 50 }, (_, index) => `k${index}`)
    for (const key of keys) await items.set(key, key.padEnd(100, '.'))
    expect(heldOf(items, keys)).toEqual(keys)
    expect(items.stats().localBytes).toBe(5_000)
  })

  it('does not keep a value longer than the bound in L1, and serves it from Redis every time', async () => {
    const items = cache<string, string>({ valueType: 'string', localMaxBytes: 1_000 })
    const big = 'x'.repeat(1_001)
    await items.set('big', big)
    expect(items.peek('big')).toBeUndefined()
    expect(await items.get('big')).toBe(big)
    expect(await items.get('big')).toBe(big)
    expect(items.stats()).toMatchObject({ localHits: 0, remoteHits: 2, localSize: 0, localBytes: 0 })
  })

  it('counts what a read from Redis fills by the length Redis holds', async () => {
    const items = cache<string, string>({ valueType: 'string', localMaxBytes: 1_000, localPolicy: 'tinylfu' })
    await sharedClient().set(`${items.name}:a`, 'é'.repeat(300))
    await sharedClient().set(`${items.name}:b`, 'b'.repeat(600))
    expect(await items.get('a')).toBe('é'.repeat(300))
    // 600 bytes of UTF-8 for 300 characters.
    expect(items.stats().localBytes).toBe(600)
    expect(await items.get('b')).toBe('b'.repeat(600))
    expect(items.stats().localBytes).toBeLessThanOrEqual(1_000)
    expect(items.peek('b')).toBe('b'.repeat(600))
    expect(items.peek('a')).toBeUndefined()
  })
})

describe.each(['lru', 'tinylfu', 's3fifo'] as const)("localPolicy '%s'", (localPolicy) => {
  const { cache, client } = useCaches()

  it('never holds more than localMax, reads every value back, and another instance’s write still drops the copy', async () => {
    const writer = cache<string, string>({
      redis: client(),
      valueType: 'string',
      localPolicy,
      localMaxBytes: 4_000,
    })
    const reader = cache<string, string>(
      { redis: client(), valueType: 'string', localPolicy, localMax: 20, localMaxBytes: 4_000 },
      writer.name,
    )
    await Promise.all([writer.ready(), reader.ready()])
    const keys = Array.from({ length: 60 }, (_, index) => `k${index}`)
    await writer.setMany(keys.map((key) => [key, `${key}-v1`]))
    for (const key of keys) expect(await reader.get(key)).toBe(`${key}-v1`)
    expect(reader.stats().localSize).toBeLessThanOrEqual(20)
    expect(reader.stats().localBytes).toBeLessThanOrEqual(4_000)
    await reader.get('k59')
    expect(reader.peek('k59')).toBe('k59-v1')
    await writer.set('k59', 'k59-v2')
    await vi.waitFor(() => expect(reader.peek('k59')).toBeUndefined(), { timeout: 10_000, interval: 20 })
    expect(await reader.get('k59')).toBe('k59-v2')
    await writer.delete('k59')
    await vi.waitFor(() => expect(reader.peek('k59')).toBeUndefined(), { timeout: 10_000, interval: 20 })
    expect(await reader.get('k59')).toBeUndefined()
  })
})

describe("localPolicy 'tinylfu' through a scan", () => {
  const { cache, sharedClient } = useCaches()

  it('keeps keys read often while a scan of one-off keys passes through, where lru loses them', async () => {
    const tinylfu = cache<string, string>({ valueType: 'string', localMax: 100, localPolicy: 'tinylfu' })
    const lru = cache<string, string>(
      { valueType: 'string', localMax: 100, localPolicy: 'lru' },
      tinylfu.name,
    )
    const hot = Array.from({ length: 20 }, (_, index) => `hot${index}`)
    const scan = Array.from({ length: 500 }, (_, index) => `scan${index}`)
    await sharedClient().mset(...[...hot, ...scan].flatMap((key) => [`${tinylfu.name}:${key}`, key]))
    for (let round = 0; round < 4; round++) {
      for (const key of hot) {
        expect(await tinylfu.get(key)).toBe(key)
        expect(await lru.get(key)).toBe(key)
      }
    }
    for (const key of scan) {
      expect(await tinylfu.get(key)).toBe(key)
      expect(await lru.get(key)).toBe(key)
    }
    expect(heldOf(tinylfu, hot)).toEqual(hot)
    expect(heldOf(lru, hot)).toEqual([])
    expect(tinylfu.stats().localSize).toBeLessThanOrEqual(100)
  })
})
