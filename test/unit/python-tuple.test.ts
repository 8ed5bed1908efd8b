import { describe, expect, it } from 'vitest'
import { pythonTupleKey } from '../../src/index.js'
import { bytesOf, pythonFixture, untag } from '../support/python-fixtures.js'

/** Python's `str(tuple)`, as recorded from Python 3.11 by scripts/python/record_pubsubdict.py. */
const tuples = pythonFixture('pubsubdict.json').cases.filter((each) => each.kind === 'tuple')

describe('pythonTupleKey', () => {
  it.each(tuples)('$name renders as Python printed it', (each) => {
    expect(pythonTupleKey(untag(each.items) as never)).toBe(bytesOf(each.pythonBytes).toString())
  })

  it('covers the cases repr distinguishes', () => {
    expect(tuples.length).toBeGreaterThanOrEqual(12)
    expect(pythonTupleKey(['x'])).toBe("('x',)")
    expect(pythonTupleKey([])).toBe('()')
    // Safe integers are ints; past 2**53 a number is a float (give a bigint for an int).
    expect(pythonTupleKey([1n, -0, 1e-7, 1e21, 2 ** 53 - 1, 2 ** 53])).toBe(
      '(1, -0.0, 1e-07, 1e+21, 9007199254740991, 9007199254740992.0)',
    )
    // A lone surrogate is not printable: Python escapes it as it does every Cs character.
    expect(pythonTupleKey(['\ud800'])).toBe("('\\ud800',)")
  })

  it('refuses, naming the item, what is not a str, int, float, bool or None', () => {
    expect(() => pythonTupleKey([['nested']] as never)).toThrow(/index 0/)
    expect(() => pythonTupleKey([1, { a: 1 }] as never)).toThrow(/index 1/)
    expect(() => pythonTupleKey([Buffer.from('x')] as never)).toThrow(TypeError)
    expect(() => pythonTupleKey([undefined] as never)).toThrow(/undefined/)
    expect(() => pythonTupleKey('abc' as never)).toThrow(/array/)
  })
})
