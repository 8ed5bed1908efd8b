import { describe, expect, it } from 'vitest'
import { useCaches } from '../support/cache-builder.js'

describe('FlipCache typed keys', () => {
  const { cache, sharedClient } = useCaches()

  it("keyType 'int': get(15) and get('15') are the same entry", async () => {
    const users = cache<number, string>({ keyType: 'int', valueType: 'string' })
    await users.set(15, 'Ada')
    expect(await users.get('15' as unknown as number)).toBe('Ada')
    await users.set('+16' as unknown as number, 'Grace')
    expect(await sharedClient().get(`${users.name}:16`)).toBe('Grace')
    expect(await users.get(16)).toBe('Grace')
  })

  it("keyType 'int': get('abc') and get(1.5) reject with a TypeError naming the key and the type", async () => {
    const users = cache<number, string>({ keyType: 'int', valueType: 'string' })
    await expect(users.get('abc' as unknown as number)).rejects.toThrow(TypeError)
    await expect(users.get('abc' as unknown as number)).rejects.toThrow(/keyType `int`.*`'abc'` \(string\)/)
    const error = await users.get(1.5).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as Error).message).toMatch(/`int`/)
    expect((error as Error).message).toMatch(/`1\.5`/)
    expect(() => users.peek(Number.NaN)).toThrow(TypeError)
    await expect(users.set(1.5, 'x')).rejects.toThrow(TypeError)
    await expect(users.getMany([1, 'x' as unknown as number])).rejects.toThrow(TypeError)
  })

  it("keyType 'json': a tuple key is stable whatever the order of object fields", async () => {
    const points = cache<unknown, string>({ keyType: 'json', valueType: 'string' })
    await points.set(['user', 15, { b: 1, a: 2 }], 'x')
    expect(await points.get(['user', 15, { a: 2, b: 1 }])).toBe('x')
    expect(await sharedClient().get(`${points.name}:["user",15,{"a":2,"b":1}]`)).toBe('x')
    const keys: unknown[] = []
    for await (const key of points.keys()) keys.push(key)
    expect(keys).toEqual([['user', 15, { a: 2, b: 1 }]])
  })

  it("keyType 'bigint' and 'float' coerce equal keys to one entry", async () => {
    const big = cache<bigint, string>({ keyType: 'bigint', valueType: 'string' })
    await big.set(12345678901234567890n, 'x')
    expect(await big.get('12345678901234567890' as unknown as bigint)).toBe('x')
    const floats = cache<number, string>({ keyType: 'float', valueType: 'string' })
    await floats.set(1.5, 'y')
    expect(await floats.get('1.50' as unknown as number)).toBe('y')
    await expect(floats.get(Number.POSITIVE_INFINITY)).rejects.toThrow(TypeError)
  })

  it('a custom keyType encodes keys with its own function and decodes them in keys()', async () => {
    const dates = cache<Date, string>({
      keyType: { encode: (day: Date) => day.toISOString().slice(0, 10), decode: (text) => new Date(text) },
      valueType: 'string',
    })
    await dates.set(new Date('2026-11-22T10:00:00Z'), 'sunday')
    expect(await sharedClient().get(`${dates.name}:2026-11-22`)).toBe('sunday')
    expect(await dates.get(new Date('2026-11-22T23:00:00Z'))).toBe('sunday')
    const keys: Date[] = []
    for await (const key of dates.keys()) keys.push(key)
    expect(keys).toEqual([new Date('2026-11-22T00:00:00Z')])
  })

  it('empty keys are refused for every key type', async () => {
    const strings = cache<string, string>({ valueType: 'string' })
    await expect(strings.get('')).rejects.toThrow(/must not be empty/)
    const custom = cache<string, string>({ keyType: { encode: () => '', decode: (text) => text } })
    await expect(custom.set('x', 'y')).rejects.toThrow(TypeError)
  })

  it('string keys may hold colons, spaces, glob characters and any Unicode', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    const keys = ['a:b', 'with space', '*', 'x[1]', 'héllo wörld 🚀', '\\']
    await items.setMany(keys.map((key) => [key, key]))
    expect(await items.getMany(keys)).toEqual(keys)
    const scanned: string[] = []
    for await (const key of items.keys()) scanned.push(key)
    expect(scanned.sort()).toEqual([...keys].sort())
  })
})
