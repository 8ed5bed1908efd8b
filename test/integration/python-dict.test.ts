import { describe, expect, it } from 'vitest'
import type { FlipCacheOptions } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { bytesOf, pythonFixture, untag } from '../support/python-fixtures.js'

/**
 * Python flipcache's dict expressions (`cache[k] = v`, `cache[k]`, `del cache[k]`) against the dict
 * view's, on the bytes the Python library stored (test/fixtures/python/dict.json, recorded by
 * scripts/python/record_dict.py, which also checked that Python reads what flipcache writes).
 */
const fixture = pythonFixture('dict.json')

describe('dict view and Python flipcache on one Redis', () => {
  const { cache, client } = useCaches()

  it('the fixture has cases', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(4)
  })

  for (const entry of fixture.cases) {
    const options = entry.options as FlipCacheOptions<unknown, unknown>
    const property = entry.property as string
    const keyAfterName = (entry.key as string).slice((entry.key as string).indexOf(':') + 1)

    it(`${entry.name}: await view['${property}'] reads what \`${entry.python}\` stored`, async () => {
      const name = uniqueName('pydict')
      const admin = client()
      await admin.set(`${name}:${keyAfterName}`, bytesOf(entry.pythonBytes))
      const view = cache(options, name).asDict() as Record<string, unknown>
      expect(await view[property]).toEqual(untag(entry.js))
      expect(property in view).toBe(true)
    })

    it(`${entry.name}: view['${property}'] = value stores the bytes Python reads back, delete removes them`, async () => {
      const name = uniqueName('pydict')
      const admin = client()
      const items = cache(options, name)
      const view = items.asDict() as Record<string, unknown>
      view[property] = untag(entry.js)
      await items.dictSettled()
      const stored = await admin.getBuffer(`${name}:${keyAfterName}`)
      expect(stored?.toString('hex')).toBe(entry.tsBytes ?? entry.pythonBytes)
      delete view[property]
      await items.dictSettled()
      expect(await admin.exists(`${name}:${keyAfterName}`)).toBe(0)
    })
  }
})
