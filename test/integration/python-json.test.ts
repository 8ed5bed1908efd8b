import { describe, expect, it } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { bytesOf, pythonFixture, untag } from '../support/python-fixtures.js'

// Recorded by scripts/python/record_json.py with Python's json module through Python flipcache
// (value_type='json'); Python was checked to read each `tsBytes` as the case's value, or as its
// `pythonReadsTs` where it cannot (NaN and the infinities become None with 'json', for one).
const fixture = pythonFixture('json.json')

describe("valueType 'json' and 'superjson' next to Python's json module", () => {
  const { cache, sharedClient } = useCaches()

  const cases = fixture.cases.map((entry) => [entry.name, entry] as const)

  it.each(cases)('get() reads what Python wrote: %s', async (_name, entry) => {
    const reader = cache<string, unknown>({ valueType: entry.valueType as 'json' | 'superjson' })
    const errors: FlipCacheError[] = []
    reader.on('error', (error) => errors.push(error))
    await sharedClient().set(`${reader.name}:from-python`, bytesOf(entry.pythonBytes))
    expect(await reader.get('from-python')).toStrictEqual(untag(entry.js))
    expect(errors).toEqual([])
  })

  it.each(cases)('set() writes the bytes Python was checked to read: %s', async (_name, entry) => {
    const writer = cache<string, unknown>({ valueType: entry.valueType as 'json' | 'superjson' })
    await writer.set('for-python', untag(entry.js))
    const stored = await sharedClient().getBuffer(`${writer.name}:for-python`)
    expect(stored?.toString('hex')).toBe(entry.tsBytes ?? entry.pythonBytes)
  })

  it('the fixture covers both value types, the non-finite tokens and the envelope look-alikes', () => {
    const names = fixture.cases.map((entry) => entry.name)
    for (const valueType of ['json', 'superjson']) {
      for (const name of ['NaN', 'Infinity', '-Infinity', "{'json': 1}", '2**64']) {
        expect(
          names.some((caseName) => caseName.startsWith(name) && caseName.endsWith(`(${valueType})`)),
        ).toBe(true)
      }
    }
  })

  it("get() reads Python's indented json.dumps output with NaN and Infinity, in both value types", async () => {
    const written = '{\n  "scores": [\n    NaN,\n    Infinity,\n    -Infinity\n  ],\n  "json": NaN\n}'
    for (const valueType of ['json', 'superjson'] as const) {
      const reader = cache<string, unknown>({ valueType })
      await sharedClient().set(`${reader.name}:indented`, written)
      expect(await reader.get('indented')).toStrictEqual({
        scores: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
        json: Number.NaN,
      })
    }
  })

  it('get() misses with E_DECODE on a megabyte of hostile non-finite tokens, and on text that is not JSON with them either', async () => {
    const reader = cache<string, unknown>({ valueType: 'superjson' })
    const errors: FlipCacheError[] = []
    reader.on('error', (error) => errors.push(error))
    const hostile = {
      deep: '[NaN,'.repeat(200_000),
      unterminated: `[NaN, "${'x'.repeat(1_000_000)}`,
      key: '{NaN: 1}',
      glued: '[NaN1]',
      deeper: `${'['.repeat(513)}NaN${']'.repeat(513)}`,
    }
    for (const [key, text] of Object.entries(hostile)) {
      await sharedClient().set(`${reader.name}:${key}`, text)
      expect(await reader.get(key)).toBeUndefined()
    }
    expect(errors.map((error) => error.code)).toEqual(Object.keys(hostile).map(() => 'E_DECODE'))
  })

  it('get() reads a megabyte of NaN tokens (250,001 of them) as an array of NaN', async () => {
    const reader = cache<string, unknown>({ valueType: 'json' })
    await sharedClient().set(`${reader.name}:nans`, `[${'NaN,'.repeat(250_000)}NaN]`)
    const read = (await reader.get('nans')) as number[]
    expect(read).toHaveLength(250_001)
    expect(read.every((item) => Number.isNaN(item))).toBe(true)
  })
})
