import { describe, expect, it, vi } from 'vitest'
import { FlipCounter } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = []
  for await (const item of iterable) items.push(item)
  return items
}

describe('FlipCache namespace scans', () => {
  const { cache, sharedClient } = useCaches()

  it('keys() and entries() list every entry of the namespace once, decoded to their types', async () => {
    const items = cache<number, { n: number }>({ keyType: 'int' })
    await items.setMany(Array.from({ length: 1_234 }, (_, i): [number, { n: number }] => [i, { n: i }]))
    const keys = await collect(items.keys())
    expect(keys).toHaveLength(1_234)
    expect(new Set(keys).size).toBe(1_234)
    expect(keys.every((key) => typeof key === 'number')).toBe(true)
    const entries = await collect(items.entries())
    expect(entries).toHaveLength(1_234)
    expect(entries.every(([key, value]) => value.n === key)).toBe(true)
  })

  it('a cache whose namespace lies inside another on the same client is warned of (E_NESTED_NAME)', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const outer = cache<string, string>({ valueType: 'string' })
      const inner = cache<string, string>({ valueType: 'string' }, `${outer.name}:inner`)
      await inner.set('k', 'v')
      // What the warning is about: the outer namespace's clear() takes the inner one's keys (and the
      // inner cache, which hears nothing of it, keeps its L1 copy).
      await outer.clear()
      expect(await sharedClient().exists(`${inner.name}:k`)).toBe(0)
      const counter = new FlipCounter(outer.name, { redis: sharedClient() })
      await counter.close()
      const nested = warn.mock.calls.filter(
        ([, options]) => (options as { code?: string }).code === 'E_NESTED_NAME',
      )
      expect(nested.map(([message]) => String(message))).toEqual([
        expect.stringContaining(`FlipCache \`${inner.name}\` (keys \`${inner.name}:*\`) lies inside`),
        expect.stringContaining(`FlipCounter \`${outer.name}\``),
      ])
    } finally {
      warn.mockRestore()
    }
  })

  it('clear() removes this namespace only and empties L1', async () => {
    const base = uniqueName()
    const target = cache<string, string>({ valueType: 'string' }, base)
    const nested = cache<string, string>({ valueType: 'string' }, `${base}x`)
    const similar = cache<string, string>({ valueType: 'string' }, `x${base}`)
    await Promise.all(
      [target, nested, similar].map((each) =>
        each.setMany([
          ['a', '1'],
          ['b', '2'],
        ]),
      ),
    )
    await target.setMany(Array.from({ length: 1_500 }, (_, i): [string, string] => [`bulk${i}`, 'v']))
    await target.clear()
    expect(await collect(target.keys())).toEqual([])
    expect(target.stats().localSize).toBe(0)
    expect(await target.get('a')).toBeUndefined()
    expect((await collect(nested.keys())).sort()).toEqual(['a', 'b'])
    expect((await collect(similar.keys())).sort()).toEqual(['a', 'b'])
  })

  it.each([
    ['a*b', 'aXb'],
    ['x[1]', 'x1'],
    ['q?', 'qq'],
    ['back\\slash', 'backslash'],
    ['caret[^a]', 'caretb'],
  ])(
    'clear() on a name with glob characters (%s) leaves the namespace %s alone',
    async (globby, lookalike) => {
      const suffix = uniqueName('')
      const target = cache<string, string>({ valueType: 'string' }, `${globby}${suffix}`)
      const other = cache<string, string>({ valueType: 'string' }, `${lookalike}${suffix}`)
      await target.set('k', 'mine')
      await other.set('k', 'theirs')
      expect(await collect(target.keys())).toEqual(['k'])
      await target.clear()
      expect(await other.get('k')).toBe('theirs')
      expect(await sharedClient().get(`${lookalike}${suffix}:k`)).toBe('theirs')
      expect(await sharedClient().exists(`${globby}${suffix}:k`)).toBe(0)
    },
  )

  it('clear() and keys() use SCAN, never KEYS', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.setMany([['a', '1']])
    const before = await sharedClient().info('commandstats')
    await collect(items.keys())
    await items.clear()
    const after = await sharedClient().info('commandstats')
    const keysCalls = (info: string) => Number(/cmdstat_keys:calls=(\d+)/.exec(info)?.[1] ?? 0)
    expect(keysCalls(after)).toBe(keysCalls(before))
  })
})
