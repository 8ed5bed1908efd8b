import { describe, expect, it } from 'vitest'
import type { FlipCacheOptions } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { bytesOf, type PythonCase, pythonFixture, untag } from '../support/python-fixtures.js'

/**
 * Python's flipcache, the library this one is modelled on, and this one on the same keys: the bytes
 * it wrote (recorded by scripts/python/record_flipcache.py) read here, and what is written here is
 * what it reads.
 */
const fixture = pythonFixture('flipcache.json')
const { cache, client } = useCaches()

/** The case's key inside a fresh namespace: what follows the recording's `pyfc-rec:`. */
function placeOf(entry: PythonCase): { name: string; redisKey: string } {
  const name = uniqueName('pyfc')
  return { name, redisKey: `${name}:${(entry.key as string).slice('pyfc-rec:'.length)}` }
}

function optionsOf(entry: PythonCase): FlipCacheOptions<unknown, unknown> {
  return {
    keyType: entry.keyType as 'string' | 'int',
    valueType: entry.valueType as 'string',
    localMax: 0,
  } as FlipCacheOptions<unknown, unknown>
}

describe("Python flipcache's data", () => {
  it('has the cases the recording wrote', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(16)
  })

  for (const entry of fixture.cases) {
    it(`reads what Python wrote: ${entry.python}`, async () => {
      const { name, redisKey } = placeOf(entry)
      await client().set(redisKey, bytesOf(entry.pythonBytes))
      const reader = cache(optionsOf(entry), name)
      expect(await reader.get(entry.jsKey as never)).toEqual(untag(entry.js))
    })

    if (entry.tsBytes !== undefined || entry.pythonReads === null) {
      it(`writes what Python reads: ${entry.name}`, async () => {
        const { name, redisKey } = placeOf(entry)
        await cache(optionsOf(entry), name).set(entry.jsKey as never, untag(entry.js) as never)
        const stored = await client().getBuffer(redisKey)
        expect(stored?.toString('hex')).toBe(entry.tsBytes ?? entry.pythonBytes)
      })
    }
  }

  it("gives the same TTL as Python's expire_time=5 when written as '5s' (expireTime is milliseconds)", async () => {
    const entry = fixture.cases.find((candidate) => candidate.pythonTtlMs !== undefined) as PythonCase
    const { name, redisKey } = placeOf(entry)
    const seconds = cache({ ...optionsOf(entry), expireTime: '5s' }, name)
    await seconds.set(entry.jsKey as never, untag(entry.js) as never)
    const pttl = await client().pttl(redisKey)
    expect(pttl).toBeGreaterThan((entry.pythonTtlMs as number) - 1000)
    expect(pttl).toBeLessThanOrEqual(entry.pythonTtlMs as number)
  })
})
