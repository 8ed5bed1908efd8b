import { describe, expect, it } from 'vitest'
import type { FlipCacheOptions } from '../../src/index.js'
import { keyPrefixOf, namespaceOf, resolveOptions } from '../../src/options.js'

/** Options of any shape, to check what resolveOptions() refuses without fighting the types. */
function resolveAnything(options: unknown) {
  return resolveOptions(options as FlipCacheOptions<unknown, unknown>)
}

describe('the `version` option', () => {
  it('takes a non-negative integer or a plain string, as keys will carry it', () => {
    expect(resolveOptions({}).version).toBeUndefined()
    expect(resolveOptions({ version: undefined }).version).toBeUndefined()
    expect(resolveOptions({ version: 0 }).version).toBe('0')
    expect(resolveOptions({ version: 42 }).version).toBe('42')
    expect(resolveOptions({ version: '2024-06-01' }).version).toBe('2024-06-01')
    expect(resolveOptions({ version: 'v1.5_beta' }).version).toBe('v1.5_beta')
  })

  it.each([
    ['', "`''` (string)"],
    [' ', "`' '` (string)"],
    ['a b', "`'a b'` (string)"],
    ['1\n', "`'1\n'` (string)"],
    ['a\u0000', "`'a\u0000'` (string)"],
    ['1:2', "`'1:2'` (string)"],
    ['{1}', "`'{1}'` (string)"],
    ['1}', "`'1}'` (string)"],
    ['*', "`'*'` (string)"],
    ['1?', "`'1?'` (string)"],
    ['[1]', "`'[1]'` (string)"],
    ['1\\', "`'1\\'` (string)"],
    ['\ud800', "`'\ud800'` (string)"],
    [-1, '`-1` (number)'],
    [1.5, '`1.5` (number)'],
    [Number.NaN, '`NaN` (number)'],
    [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    [2 ** 53, '`9007199254740992` (number)'],
    [1n, '`1n` (bigint)'],
    [null, '`null` (null)'],
    [true, '`true` (boolean)'],
    [{}, '`[object Object]` (object)'],
    [['1'], '`1` (array)'],
  ])('refuses version %s with a TypeError that names it', (version, shown) => {
    expect(() => resolveAnything({ version })).toThrow(
      new TypeError(
        `Expected \`version\` to be a non-negative integer or a non-empty string without whitespace, \`:\`, braces or glob characters (*?[]\\), got ${shown}`,
      ),
    )
  })

  it('puts the version after the name, outside the hash tag', () => {
    expect(keyPrefixOf('users', false, '2')).toBe('users:v2:')
    expect(keyPrefixOf('users', true, '2')).toBe('{users}:v2:')
    expect(keyPrefixOf('users', false)).toBe('users:')
    expect(namespaceOf('users', '2')).toBe('users:v2')
    expect(namespaceOf('users', undefined)).toBe('users')
  })
})
