import type { Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { DecodeError, type FlipCache, type FlipCacheError, type FlipCacheOptions } from '../../src/index.js'
import { structuresKeyOf } from '../../src/store/structure-keys.js'
import { maxStructures } from '../../src/store/structure-registry.js'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'

const recordMarker = 0xc1

/** Every shape msgpack round-trips, as objects a record can hold (a first write registers each shape). */
const shapes: Record<string, unknown>[] = [
  { id: 12345, name: 'user-12345', active: true },
  { nested: { a: [1, 'two', { three: true }] }, list: [{ x: 1 }, { x: 2 }] },
  { at: new Date(1_700_000_000_123), set: new Set([1, 'a']), big: 2n ** 70n, int64: 2n ** 40n },
  { map: new Map<unknown, unknown>([[1, 'one']]), strings: new Map([['k', 'v']]), bin: Buffer.from([1, 2]) },
  { u: undefined, re: /a+b/gi, n: 2 ** 40, neg: -(2 ** 40), f: 1.5, nan: Number.NaN },
  JSON.parse('{"__proto__":{"p":1},"z":0}') as Record<string, unknown>,
]

/** What the plain msgpack codec reads back for `value`: what a record must read back too. */
function plainRoundTrip(value: unknown): unknown {
  return msgpackCodec.decode(msgpackCodec.encode(value))
}

type Layout = 'string' | 'hash'

function optionsOf(layout: Layout): FlipCacheOptions<number, unknown> {
  return {
    keyType: 'int',
    valueType: 'msgpack',
    sharedStructures: true,
    expireTime: '1h',
    ...(layout === 'hash' ? { storage: { kind: 'hash', bucketSize: 100 } } : {}),
  }
}

describe.each<Layout>(['string', 'hash'])('sharedStructures, %s storage', (layout) => {
  const { cache, client } = useCaches()

  /** A cache of `name` on a client of its own: another process, as far as Redis can tell. */
  function instance(name: string, extra: Partial<FlipCacheOptions<number, unknown>> = {}) {
    const errors: FlipCacheError[] = []
    const made = cache<number, unknown>({ redis: client(), ...optionsOf(layout), ...extra }, name)
    made.on('error', (error) => errors.push(error))
    return { cache: made, errors }
  }

  /** The stored bytes of `key` (a string, or a field of its bucket). */
  async function stored(admin: Redis, name: string, key: number): Promise<Buffer | null> {
    if (layout === 'string') return admin.getBuffer(`${name}:${key}`)
    return admin.hgetBuffer(`${name}:b:${Math.floor(key / 100)}`, String(key % 100))
  }

  /** Whether `bytes` (possibly behind the 11-byte expiry header) is a record. */
  function isRecord(bytes: Buffer | null): boolean {
    if (bytes === null) return false
    return bytes[0] === recordMarker || (bytes[0] === 0 && bytes[11] === recordMarker)
  }

  /** Writes `values` until each is stored as a record (the first write of a shape registers it). */
  async function writeAsRecords(target: FlipCache<number, unknown>, name: string, values: unknown[]) {
    const admin = client()
    await vi.waitFor(
      async () => {
        await target.setMany(values.map((value, index) => [index, value]))
        for (let index = 0; index < values.length; index++) {
          expect(isRecord(await stored(admin, name, index))).toBe(true)
        }
      },
      { timeout: 10_000 },
    )
  }

  it('reads back every shape msgpack round-trips, from L1, from Redis, and in another process', async () => {
    const name = uniqueName()
    const writer = instance(name)
    await writeAsRecords(writer.cache, name, shapes)
    const reader = instance(name, { localMax: 0 })
    const expected = shapes.map(plainRoundTrip)
    expect(await reader.cache.getMany(shapes.map((_, index) => index))).toStrictEqual(expected)
    expect(await writer.cache.getMany(shapes.map((_, index) => index))).toStrictEqual(expected)
    const listed: [number, unknown][] = []
    for await (const entry of reader.cache.entries()) listed.push(entry)
    expect(new Map(listed)).toStrictEqual(new Map(expected.map((value, index) => [index, value])))
    expect(writer.errors).toEqual([])
    expect(reader.errors).toEqual([])
    // The registry holds each structure once, outside the namespace: clear() leaves it.
    const registry = await client().lrange(structuresKeyOf(`${name}:`), 0, -1)
    expect(registry.slice(1).sort()).toEqual(shapes.map((shape) => JSON.stringify(Object.keys(shape))).sort())
    await writer.cache.clear()
    expect(await client().lrange(structuresKeyOf(`${name}:`), 0, -1)).toEqual(registry)
  })

  it('two processes writing different shapes at once agree on every id and read each other', async () => {
    const name = uniqueName()
    const first = instance(name, { localMax: 0 })
    const second = instance(name, { localMax: 0 })
    const shapeOf = (index: number) =>
      index % 2 === 0 ? { id: index, even: true } : { id: index, odd: 'yes', extra: [index] }
    const keys = Array.from({ length: 40 }, (_, index) => index)
    const admin = client()
    await vi.waitFor(
      async () => {
        await Promise.all([
          first.cache.setMany(keys.filter((key) => key % 4 < 2).map((key) => [key, shapeOf(key)])),
          second.cache.setMany(keys.filter((key) => key % 4 >= 2).map((key) => [key, shapeOf(key)])),
        ])
        for (const key of keys) expect(isRecord(await stored(admin, name, key))).toBe(true)
      },
      { timeout: 10_000 },
    )
    const registry = await admin.lrange(structuresKeyOf(`${name}:`), 0, -1)
    expect(registry).toHaveLength(3)
    expect(new Set(registry.slice(1))).toEqual(new Set(['["id","even"]', '["id","odd","extra"]']))
    const expected = keys.map(shapeOf)
    expect(await first.cache.getMany(keys)).toStrictEqual(expected)
    expect(await second.cache.getMany(keys)).toStrictEqual(expected)
    expect([...first.errors, ...second.errors]).toEqual([])
  })

  it('a reader that started before a shape was registered loads the registry when it meets its id', async () => {
    const name = uniqueName()
    const reader = instance(name, { localMax: 0 })
    expect(await reader.cache.get(0)).toBeUndefined()
    const writer = instance(name)
    await writeAsRecords(writer.cache, name, [{ late: 'shape', n: 1 }])
    expect(await reader.cache.get(0)).toEqual({ late: 'shape', n: 1 })
    expect(await reader.cache.has(0)).toBe(true)
    expect(reader.errors).toEqual([])
  })

  it('past the registry bound, new shapes are written as plain maps and read back', async () => {
    const name = uniqueName()
    const admin = client()
    const key = structuresKeyOf(`${name}:`)
    await admin.rpush(key, '100', ...Array.from({ length: maxStructures }, (_, index) => `["f${index}"]`))
    const full = instance(name, { localMax: 0 })
    // The first call waits for the registry's load (a write encodes before it waits: that one would be plain).
    expect(await full.cache.get(1)).toBeUndefined()
    await full.cache.set(1, { f7: 'known' })
    await full.cache.set(2, { unknown: 'shape' })
    await full.cache.set(2, { unknown: 'shape' })
    expect(isRecord(await stored(admin, name, 1))).toBe(true)
    expect((await stored(admin, name, 1))?.includes(Buffer.from([recordMarker, 0, 107]))).toBe(true)
    expect(isRecord(await stored(admin, name, 2))).toBe(false)
    expect(await full.cache.getMany([1, 2])).toEqual([{ f7: 'known' }, { unknown: 'shape' }])
    expect(await admin.llen(key)).toBe(maxStructures + 1)
    expect(full.errors).toEqual([])
  })

  it('an unknown id or a corrupt registry entry is a miss reported as E_DECODE, never a crash', async () => {
    const name = uniqueName()
    const admin = client()
    const writer = instance(name)
    await writeAsRecords(writer.cache, name, [{ a: 1 }, { b: 2 }])
    const key = structuresKeyOf(`${name}:`)
    // Entry 1's structure is overwritten with garbage; entry 3 names an id the registry never gave.
    const [base] = await admin.lrange(key, 0, 0)
    const bIndex = (await admin.lrange(key, 1, -1)).indexOf('["b"]')
    await admin.lset(key, bIndex + 1, 'garbage')
    const stray = Buffer.concat([Buffer.from([recordMarker, 0x12, 0x34]), msgpackCodec.encode([1]) as Buffer])
    if (layout === 'string') await admin.set(`${name}:3`, stray)
    else await admin.hset(`${name}:b:0`, '3', stray)
    expect(Number(base) + bIndex).not.toBe(0x1234)
    const reader = instance(name, { localMax: 0 })
    expect(await reader.cache.getMany([0, 1, 3])).toEqual([{ a: 1 }, undefined, undefined])
    await vi.waitFor(() => expect(reader.errors.length).toBeGreaterThanOrEqual(2))
    expect(reader.errors.every((error) => error instanceof DecodeError)).toBe(true)
    expect(await reader.cache.get(3)).toBeUndefined()
  })

  it('a registry deleted behind the instances makes old records misses, never other values', async () => {
    const name = uniqueName()
    const admin = client()
    const writer = instance(name, { localMax: 0 })
    await writeAsRecords(writer.cache, name, [{ old: 1 }])
    await admin.del(structuresKeyOf(`${name}:`))
    // A process that starts now registers its shapes in a registry of its own.
    const later = instance(name, { localMax: 0 })
    expect(await later.cache.get(0)).toBeUndefined()
    await vi.waitFor(async () => {
      await later.cache.set(1, { fresh: 2 })
      expect(isRecord(await stored(admin, name, 1))).toBe(true)
    })
    expect(later.errors.map((error) => error.code)).toEqual(['E_DECODE'])
    expect(await later.cache.getMany([0, 1])).toEqual([undefined, { fresh: 2 }])
    // The first writer still knows the old ids (entry 0 is what it wrote); it meets the new
    // registry's id, loads it, and forgets the old ids from then on.
    expect(await writer.cache.getMany([0, 1])).toEqual([{ old: 1 }, { fresh: 2 }])
    expect(await writer.cache.getMany([0, 1])).toEqual([undefined, { fresh: 2 }])
    expect(writer.errors.map((error) => error.code)).toEqual(['E_DECODE'])
  })

  it('a registry Redis refuses (another type) is reported; writes go on as plain maps', async () => {
    const name = uniqueName()
    const admin = client()
    await admin.set(structuresKeyOf(`${name}:`), 'not a list')
    const writer = instance(name, { localMax: 0 })
    await writer.cache.set(1, { a: 1 })
    await vi.waitFor(() => expect(writer.errors.some((error) => error.code === 'E_REDIS')).toBe(true))
    await writer.cache.set(2, { a: 2 })
    expect(isRecord(await stored(admin, name, 2))).toBe(false)
    expect(await writer.cache.getMany([1, 2])).toEqual([{ a: 1 }, { a: 2 }])
  })

  it('an instance without the option reads records as misses (E_DECODE), plain maps as values', async () => {
    const name = uniqueName()
    const writer = instance(name)
    await writeAsRecords(writer.cache, name, [{ a: 1 }])
    await writer.cache.set(1, [1, 2])
    const errors: FlipCacheError[] = []
    const plain = cache<number, unknown>(
      { redis: client(), ...optionsOf(layout), sharedStructures: false, localMax: 0 },
      name,
    )
    plain.on('error', (error) => errors.push(error))
    expect(await plain.getMany([0, 1])).toEqual([undefined, [1, 2]])
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DECODE']))
  })
})
