import { describe, expect, it } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { bytesOf, pythonFixture, untag } from '../support/python-fixtures.js'

/**
 * Python's msgpack 1.0 (`packb`/`unpackb` with their defaults) and `valueType: 'msgpack'` on one
 * Redis, from test/fixtures/python/msgpack.json (recorded by scripts/python/record_msgpack.py, which
 * checked that Python reads each `tsBytes`, or `pythonBytes` where there is none, as the expression).
 */
const fixture = pythonFixture('msgpack.json')

describe('Python msgpack and valueType msgpack', () => {
  const { cache, sharedClient } = useCaches()

  it('the fixture covers the cases the issue names', () => {
    const expressions = fixture.cases.map((entry) => entry.python)
    for (const expression of ['0', '-1', '2**31', '2**40', '2**53-1', '2**64-1', 'None', 'True']) {
      expect(expressions).toContain(`msgpack.packb(${expression})`)
    }
    expect(fixture.cases.length).toBeGreaterThanOrEqual(30)
  })

  it.each(fixture.cases.map((entry) => [entry.name, entry] as const))(
    'get() reads what Python stored for %s',
    async (_name, entry) => {
      const values = cache<string, unknown>({ valueType: 'msgpack', localMax: 0 })
      const errors: FlipCacheError[] = []
      values.on('error', (error) => errors.push(error))
      await sharedClient().set(`${values.name}:k`, bytesOf(entry.pythonBytes))
      expect(await values.get('k')).toStrictEqual(untag(entry.js))
      expect(errors).toEqual([])
    },
  )

  it.each(fixture.cases.map((entry) => [entry.name, entry] as const))(
    'set() stores for %s the bytes Python was checked to read',
    async (_name, entry) => {
      const values = cache<string, unknown>({ valueType: 'msgpack' })
      await values.set('k', untag(entry.js))
      const stored = await sharedClient().getBuffer(`${values.name}:k`)
      expect(stored?.toString('hex')).toBe(entry.tsBytes ?? entry.pythonBytes)
    },
  )

  it('a Python dict with string keys is a plain object, with int keys a Map, and both survive L1', async () => {
    const values = cache<string, unknown>({ valueType: 'msgpack' })
    const nested = fixture.cases.find((entry) => entry.name === 'nested dict')
    const intKeys = fixture.cases.find((entry) => entry.name === 'dict with int keys (a Map)')
    if (nested === undefined || intKeys === undefined) throw new Error('fixture cases missing')
    await sharedClient().set(`${values.name}:user`, bytesOf(nested.pythonBytes))
    await sharedClient().set(`${values.name}:names`, bytesOf(intKeys.pythonBytes))
    const user = (await values.get('user')) as { user: { id: number } }
    expect(Object.getPrototypeOf(user)).toBe(Object.prototype)
    expect(user.user.id).toBe(7)
    expect(await values.get('names')).toStrictEqual(
      new Map([
        [1, 'one'],
        [2, 'two'],
      ]),
    )
    // The same value from L1, and after a write of it by this side.
    await values.set('again', user)
    expect(await values.get('again')).toStrictEqual(user)
    expect((await sharedClient().getBuffer(`${values.name}:again`))?.toString('hex')).toBe(nested.pythonBytes)
  })

  it("msgpack 0 with a TTL is the one byte 0x00, and in a hash bucket with its expiry in a header (entryExpiry 'header') it gets the header", async () => {
    const values = cache<string, unknown>({ valueType: 'msgpack', localMax: 0 })
    await values.set('zero', 0, { expireTime: 60_000 })
    expect((await sharedClient().getBuffer(`${values.name}:zero`))?.toString('hex')).toBe('00')
    expect(await values.get('zero')).toBe(0)
    const buckets = cache<number, unknown>({
      keyType: 'int',
      valueType: 'msgpack',
      localMax: 0,
      storage: { kind: 'hash', bucketSize: 10, entryExpiry: 'header' },
    })
    await buckets.set(11, 0, { expireTime: 60_000 })
    await buckets.set(12, '\0abc')
    const fields = await sharedClient().hgetallBuffer(`${buckets.name}:b:1`)
    // Key k is field k mod 10 of bucket floor(k / 10).
    expect(fields['1']?.subarray(0, 2).toString('latin1')).toBe('\0D')
    expect(fields['2']?.toString('latin1')).toBe('\xa4\0abc')
    expect(await buckets.get(11)).toBe(0)
    expect(await buckets.get(12)).toBe('\0abc')
  })
})
