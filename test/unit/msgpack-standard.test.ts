import { Packr, Unpackr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import { integersAsInts, readsAsPlainObjects, standardValue } from '../../src/types/msgpack-standard.js'

function hexOf(value: unknown): string {
  return (msgpackCodec.encode(value) as Buffer).toString('hex')
}

function fromHex(hex: string): unknown {
  return msgpackCodec.decode(Buffer.from(hex, 'hex'))
}

/** The slow path for any data: every map read as a Map, then made standard. */
const mapsReader = new Unpackr({
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  structuredClone: false,
})

describe('msgpack integers', () => {
  it('writes safe integers past 32 bits as uint64/int64, as Python writes them, and reads them as numbers', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [-1, 'ff'],
      [2 ** 31, 'ce80000000'],
      [2 ** 32, 'cf0000000100000000'],
      [2 ** 40, 'cf0000010000000000'],
      [-(2 ** 40), 'd3ffffff0000000000'],
      [-(2 ** 31) - 1, 'd3ffffffff7fffffff'],
      [2 ** 53 - 1, 'cf001fffffffffffff'],
      [-(2 ** 53 - 1), 'd3ffe0000000000001'],
    ]
    for (const [value, hex] of cases) {
      expect(hexOf(value), String(value)).toBe(hex)
      expect(fromHex(hex)).toBe(value)
    }
  })

  it('leaves numbers that are not safe integers as float64', () => {
    expect(hexOf(2 ** 53)).toBe('cb4340000000000000')
    expect(hexOf(-(2 ** 53))).toBe('cbc340000000000000')
    expect(hexOf(1.5)).toBe('cb3ff8000000000000')
    expect(hexOf(1e300)).toBe('cb7e37e43c8800759c')
    expect(fromHex('cb4340000000000000')).toBe(2 ** 53)
  })

  it('reads int64/uint64 past the safe range as BigInts, at each edge', () => {
    expect(fromHex('cf0020000000000000')).toBe(2n ** 53n)
    expect(fromHex('d3ffe0000000000000')).toBe(-(2n ** 53n))
    expect(fromHex('cf001fffffffffffff')).toBe(2 ** 53 - 1)
    expect(fromHex('d3ffe0000000000001')).toBe(-(2 ** 53 - 1))
    expect(fromHex('cfffffffffffffffff')).toBe(2n ** 64n - 1n)
    expect(fromHex('d38000000000000000')).toBe(-(2n ** 63n))
    expect(fromHex('d30000000000000005')).toBe(5)
    expect(hexOf(2n ** 64n - 1n)).toBe('cfffffffffffffffff')
    expect(hexOf(-(2n ** 63n))).toBe('d38000000000000000')
  })

  it('rewrites integers nested in arrays, maps and Sets, never bytes inside strings, binary or extensions', () => {
    const float40 = Buffer.from('cb4270000000000000', 'hex')
    const value = {
      n: [2 ** 40, { deeper: -(2 ** 40) }],
      set: new Set([2 ** 33]),
      text: float40.toString('latin1'),
      blob: float40,
      when: new Date(2 ** 40),
    }
    const packed = msgpackCodec.encode(value) as Buffer
    expect(packed.includes(float40)).toBe(true)
    const back = msgpackCodec.decode(packed) as typeof value
    expect(back).toStrictEqual(value)
    expect(packed.includes(Buffer.from('cf0000010000000000', 'hex'))).toBe(true)
    expect(packed.includes(Buffer.from('d3ffffff0000000000', 'hex'))).toBe(true)
  })

  it('integersAsInts() leaves data whose tokens do not end where it ends as it was', () => {
    const cut = Buffer.from('92cb4270000000000000a5', 'hex')
    expect(integersAsInts(Buffer.from(cut)).equals(cut)).toBe(true)
  })
})

describe('msgpack extensions', () => {
  it("reads Python's msgpack.Timestamp (and datetime=True) as a Date, and writes a Date the same way", () => {
    // msgpack.packb(msgpack.Timestamp.from_unix_nano(1_700_000_000_123_000_000))
    expect(fromHex('d7ff1d5353006553f100')).toStrictEqual(new Date(1_700_000_000_123))
    expect(hexOf(new Date(1_700_000_000_123))).toBe('d7ff1d5353006553f100')
  })

  it('refuses an extension type it does not know, such as a Python ExtType(5, ...)', () => {
    expect(() => fromHex('d5056162')).toThrow(/Unknown extension type 5/)
    expect(() => fromHex('81a178d5056162')).toThrow(/Unknown extension type 5/)
  })
})

describe('msgpack maps', () => {
  it('writes plain objects as the smallest standard map header and reads maps with string keys as plain objects', () => {
    expect(hexOf({})).toBe('80')
    expect(hexOf({ a: 1 })).toBe('81a16101')
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))
    expect(hexOf(wide).startsWith('de0014')).toBe(true)
    const back = fromHex('82a16101a162c0') as object
    expect(back).toStrictEqual({ a: 1, b: null })
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
  })

  it('reads maps with any key that is not a string as Maps, standard inside', () => {
    // {1: 'a'}, {'a': 1, 2: {'x': 2**40}}, {(1, 2): 'tuple'}
    expect(fromHex('8101a161')).toStrictEqual(new Map([[1, 'a']]))
    expect(fromHex('82a1610102' + '81a178cf0000010000000000')).toStrictEqual(
      new Map<unknown, unknown>([
        ['a', 1],
        [2, { x: 2 ** 40 }],
      ]),
    )
    expect(fromHex('81920102a57475706c65')).toStrictEqual(new Map([[[1, 2], 'tuple']]))
  })

  it('writes a Map with string keys as a map, which reads back as a plain object', () => {
    expect(hexOf(new Map([['a', 1]]))).toBe('81a16101')
    expect(fromHex(hexOf(new Map([['a', new Map([['b', 2]])]])))).toStrictEqual({ a: { b: 2 } })
    expect(fromHex(hexOf(new Map()))).toStrictEqual({})
  })

  it('reads a __proto__ key from stored data as an own property, never as the prototype', () => {
    const proto = 'a95f5f70726f746f5f5f'
    for (const hex of [
      `81${proto}81a8706f6c6c75746564c3`,
      `82${proto}81a8706f6c6c75746564c301c3`,
      `81d9095f5f70726f746f5f5f81a8706f6c6c75746564c3`,
      `91${`81${proto}81a8706f6c6c75746564c3`}`,
    ]) {
      const back = fromHex(hex)
      const holder = (Array.isArray(back) ? back[0] : back) as Map<unknown, unknown> | Record<string, unknown>
      if (holder instanceof Map) {
        expect(holder.get('__proto__')).toStrictEqual({ polluted: true })
        continue
      }
      expect(Object.getPrototypeOf(holder)).toBe(Object.prototype)
      expect(Object.hasOwn(holder, '__proto__')).toBe(true)
      expect(Object.getOwnPropertyDescriptor(holder, '__proto__')?.value).toStrictEqual({ polluted: true })
      expect((holder as { polluted?: unknown }).polluted).toBeUndefined()
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
    const own = JSON.parse('{"__proto__": 1}') as object
    const back = fromHex(hexOf(own)) as object
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe(1)
  })

  it('reads the same value whether the data goes the direct way or through Maps', () => {
    const values: unknown[] = [
      { id: 1, name: 'Ada', active: true, tags: ['x', 'y'], nested: { deep: [{ a: null }] } },
      [{}, [], { s: 'x'.repeat(300) }, 1.5, -7],
      { when: new Date(0), blob: Buffer.from([1, 2]), u: undefined, typed: new Uint16Array([1, 2]) },
      { big: 2 ** 40, set: new Set(['a']), re: /x/g, byId: new Map([[1, 'a']]) },
      Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i])),
    ]
    for (const value of values) {
      const packed = msgpackCodec.encode(value) as Buffer
      expect(msgpackCodec.decode(packed)).toStrictEqual(standardValue(mapsReader.unpack(packed)))
    }
    expect(readsAsPlainObjects(msgpackCodec.encode(values[0]) as Buffer)).toBe(true)
    expect(readsAsPlainObjects(msgpackCodec.encode(values[3]) as Buffer)).toBe(false)
  })

  it('readsAsPlainObjects() sends integer keys, int64s, prefix extensions, truncated and deep data the Map way', () => {
    for (const hex of [
      '8101a161',
      '91cf0000010000000000',
      'd473009101',
      'd4724091a16101',
      '82a16101',
      'dc00',
      `${'91'.repeat(600)}90`,
    ]) {
      expect(readsAsPlainObjects(Buffer.from(hex, 'hex')), hex).toBe(false)
    }
    for (const hex of ['81a16101', '00', 'c0', '93d7ff01312d0000000000d40000c403010203', '80', '90']) {
      expect(readsAsPlainObjects(Buffer.from(hex, 'hex')), hex).toBe(true)
    }
  })
})

describe('data the record codec stored before', () => {
  // Bytes the earlier 'msgpack' codec (msgpackr records, `useRecords` on) wrote, captured from it.
  const stored: [string, string, unknown][] = [
    ['a user', 'd4724093a26964a46e616d65a661637469766507a3416461c3', { id: 7, name: 'Ada', active: true }],
    [
      'a list of records',
      '92d4724092a26964a46e616d6501a16e4002a16d',
      [
        { id: 1, name: 'n' },
        { id: 2, name: 'm' },
      ],
    ],
    [
      'nested records',
      'd4724091a161d4724191a162d4724291a1639201d4724391a164a165',
      { a: { b: { c: [1, { d: 'e' }] } } },
    ],
    [
      'every type',
      'd4724098a47768656ea3696473a462794964a474616773a16ea5736d616c6ca468756765a175d7ff01312d0000000000d473009201028101d4724191a46e616d65a17881a17401cb4270000000000000d30000000000000005d84200000000000100000000000000000000d40000',
      {
        when: new Date(5),
        ids: new Set([1, 2]),
        byId: new Map([[1, { name: 'x' }]]),
        tags: { t: 1 },
        n: 2 ** 40,
        small: 5,
        huge: 2n ** 80n,
        u: undefined,
      },
    ],
  ]

  it.each(stored)(
    'reads %s as it was written (Maps with string keys and safe BigInts the new way)',
    (_name, hex, value) => {
      expect(fromHex(hex)).toStrictEqual(value)
    },
  )

  it('keeps no record definition past the value that holds it: a later 0x40 is the integer 64', () => {
    for (const [, hex] of stored) fromHex(hex)
    expect(fromHex('40')).toBe(64)
    expect(fromHex('92407f')).toStrictEqual([64, 127])
    expect(fromHex('81a16140')).toStrictEqual({ a: 64 })
  })

  it('reads a stored record field named __proto__ without touching the prototype', () => {
    const back = fromHex('d4724092a95f5f70726f746f5f5fa26f6bd4724191a8706f6c6c75746564c301') as Record<
      string,
      unknown
    >
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(back.polluted).toBeUndefined()
    expect(back.ok).toBe(1)
  })

  it('the old record reader reads what the codec writes now, but with Maps for objects and BigInts for int64s (docs/python/msgpack.md)', () => {
    const old = new Packr({
      moreTypes: true,
      mapsAsObjects: false,
      int64AsType: 'bigint',
      useBigIntExtension: true,
      structuredClone: false,
    })
    const written = msgpackCodec.encode({ id: 7, big: 2 ** 40, list: [1, 'a'] }) as Buffer
    expect(old.unpack(written)).toStrictEqual(
      new Map<unknown, unknown>([
        ['id', 7],
        ['big', 2n ** 40n],
        ['list', [1, 'a']],
      ]),
    )
  })
})
