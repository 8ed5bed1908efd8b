import { describe, expect, it } from 'vitest'
import type { FlipCacheOptions } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'

const MiB = 1024 * 1024

/**
 * Per value type: values whose encodings are 0 bytes (where the type has one), 1 byte and 1 MiB (the
 * largest the default `maxValueBytes` allows), and richer ones.
 */
const samples: Record<string, { options: FlipCacheOptions<string, unknown>; values: unknown[] }> = {
  string: { options: { valueType: 'string' }, values: ['', 'x', 'é'.repeat(MiB / 2), 'line\nbreak\0nul'] },
  int: {
    options: { valueType: 'int' },
    values: [0, 7, -42, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER],
  },
  float: {
    options: { valueType: 'float' },
    values: [0, 1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e-300, 0.1 + 0.2],
  },
  bool: { options: { valueType: 'bool' }, values: [true, false] },
  json: {
    options: { valueType: 'json' },
    values: [
      '',
      1,
      null,
      { a: [1, 'two', { three: true }] },
      'x'.repeat(MiB - 2),
      Array.from({ length: 1000 }, (_, i) => i),
    ],
  },
  superjson: {
    options: { valueType: 'superjson' },
    values: [
      '',
      0,
      undefined,
      new Date(0),
      new Map<unknown, unknown>([
        [1, 'one'],
        ['two', new Set([2])],
      ]),
      new Set(['a', 'b']),
      12345678901234567890123n,
      /flip(cache)?/gi,
      { nested: { when: new Date(1), missing: undefined, list: [1, undefined, -0] } },
      { json: 1, meta: 2 },
      'x'.repeat(MiB - 2),
    ],
  },
  msgpack: {
    options: { valueType: 'msgpack' },
    values: [
      '',
      1,
      undefined,
      null,
      new Date(0),
      new Map<unknown, unknown>([
        [1, 'one'],
        [{ k: 1 }, 'object key'],
      ]),
      new Set([1, 2]),
      2n ** 70n,
      /re/m,
      { plain: { a: 1 }, map: new Map([[1, 'a']]), bytes: Buffer.from([0, 255]), big: 2 ** 40 },
      0,
      2 ** 53 - 1,
      '\0abc',
      // A str32 header of 5 bytes, then the characters.
      'x'.repeat(MiB - 5),
    ],
  },
  bytes: {
    options: { valueType: 'bytes' },
    values: [
      Buffer.alloc(0),
      Buffer.from([0]),
      Buffer.from([0xff, 0x00, 0xfe, 0x0a, 0x0d]),
      Buffer.alloc(MiB, 0xab),
    ],
  },
}

/** Deep equality, with Buffers compared by bytes (vitest's element-by-element walk takes seconds on 1 MiB). */
function expectSame(actual: unknown[], expected: unknown[]): void {
  expect(actual).toHaveLength(expected.length)
  expected.forEach((value, index) => {
    const got = actual[index]
    if (Buffer.isBuffer(value)) expect(Buffer.isBuffer(got) && value.equals(got)).toBe(true)
    else expect(got).toEqual(value)
  })
}

describe('FlipCache typed values', () => {
  const { cache, sharedClient } = useCaches()

  for (const [type, { options, values }] of Object.entries(samples)) {
    it(`get() returns every '${type}' value exactly as set(), from L1 and from Redis`, async () => {
      const writer = cache<string, unknown>(options)
      const reader = cache<string, unknown>({ ...options, localMax: 0 }, writer.name)
      await writer.setMany(values.map((value, index) => [`v${index}`, value]))
      const keys = values.map((_, index) => `v${index}`)
      expectSame(await writer.getMany(keys), values)
      expectSame(await reader.getMany(keys), values)
      expectSame(await Promise.all(keys.map((key) => reader.get(key))), values)
      expect(await reader.has('v0')).toBe(true)
      expect(writer.stats().localHits).toBe(values.length)
    })
  }

  it("'bool' reads what other programs write for a boolean: 1/0, true/false, Python's True/False", async () => {
    const flags = cache<string, boolean>({ valueType: 'bool', localMax: 0 })
    const written: [string, string][] = [
      ['one', '1'],
      ['zero', '0'],
      ['json-true', 'true'],
      ['json-false', 'false'],
      ['python-true', 'True'],
      ['python-false', 'False'],
    ]
    for (const [key, raw] of written) await sharedClient().set(`${flags.name}:${key}`, raw)
    expect(await flags.getMany(written.map(([key]) => key))).toEqual([true, false, true, false, true, false])
  })

  it("'bytes' accepts a Uint8Array and reads back a Buffer of the same bytes", async () => {
    const blobs = cache<string, Uint8Array>({ valueType: 'bytes', localMax: 0 })
    const view = new Uint8Array(new Uint8Array([9, 1, 2, 3, 9]).buffer, 1, 3)
    await blobs.set('view', view)
    const back = await blobs.get('view')
    expect(Buffer.isBuffer(back)).toBe(true)
    expect([...(back as Uint8Array)]).toEqual([1, 2, 3])
  })

  it('set() keeps its own copy: changing the object afterwards changes neither L1 nor Redis', async () => {
    const docs = cache<string, { n: number }>()
    const doc = { n: 1 }
    await docs.set('d', doc)
    doc.n = 2
    expect(await docs.get('d')).toEqual({ n: 1 })
    const bytes = cache<string, Buffer>({ valueType: 'bytes' })
    const buffer = Buffer.from([1, 2])
    const written = bytes.set('b', buffer)
    buffer[0] = 9
    await written
    expect([...((await bytes.get('b')) as Buffer)]).toEqual([1, 2])
  })

  it('set() refuses a value that does not fit the type, before any write', async () => {
    const ints = cache<string, number>({ valueType: 'int' })
    await expect(ints.set('a', 1.5)).rejects.toThrow(TypeError)
    await expect(ints.set('a', 'x' as unknown as number)).rejects.toThrow(/valueType `int`.*`'x'` \(string\)/)
    const strings = cache<string, string>({ valueType: 'string' })
    await expect(strings.set('a', 5 as unknown as string)).rejects.toThrow(TypeError)
    const bools = cache<string, boolean>({ valueType: 'bool' })
    await expect(bools.set('a', 1 as unknown as boolean)).rejects.toThrow(TypeError)
    const json = cache<string, unknown>({ valueType: 'json' })
    await expect(json.set('a', undefined)).rejects.toThrow(TypeError)
    await expect(json.set('a', 1n)).rejects.toThrow(TypeError)
    const bytes = cache<string, Uint8Array>({ valueType: 'bytes' })
    await expect(bytes.set('a', 'text' as unknown as Uint8Array)).rejects.toThrow(TypeError)
    const msgpack = cache<string, unknown>({ valueType: 'msgpack' })
    await expect(msgpack.set('a', () => 1)).rejects.toThrow(TypeError)
    for (const target of [ints, strings, bools, json, bytes, msgpack])
      expect(await target.has('a')).toBe(false)
  })

  it("valueType 'msgpack' reads values earlier versions stored as msgpackr records, with or without a header", async () => {
    const values = cache<string, unknown>({ valueType: 'msgpack', localMax: 0 })
    // {id: 7, name: 'Ada', active: true} and [{id: 1, name: 'n'}, {id: 2, name: 'm'}], as the record codec wrote them.
    const user = Buffer.from('d4724093a26964a46e616d65a661637469766507a3416461c3', 'hex')
    const list = Buffer.from('92d4724092a26964a46e616d6501a16e4002a16d', 'hex')
    await sharedClient().set(`${values.name}:user`, user)
    await sharedClient().set(`${values.name}:list`, list)
    // What getOrSet with grace wrote: the fresh-until header in front.
    await sharedClient().set(`${values.name}:graced`, Buffer.concat([Buffer.from('\0Azzzzzzzzz'), user]))
    expect(await values.get('user')).toStrictEqual({ id: 7, name: 'Ada', active: true })
    expect(await values.get('list')).toStrictEqual([
      { id: 1, name: 'n' },
      { id: 2, name: 'm' },
    ])
    expect(await values.get('graced')).toStrictEqual({ id: 7, name: 'Ada', active: true })
  })

  it("valueType 'custom' stores what valueEncoder returns and reads it with valueDecoder", async () => {
    interface Shape {
      name: string
      edges: number
    }
    const shapes = cache<number, Shape>({
      keyType: 'int',
      valueType: 'custom',
      valueEncoder: (shape) => `${shape.name}||${shape.edges}`,
      valueDecoder: (text) => {
        const [name = '', edges = '0'] = text.split('||')
        return { name, edges: Number(edges) }
      },
      valueDefault: { name: 'default', edges: 0 },
    })
    await shapes.set(123, { name: 'womp', edges: 6 })
    const other = cache<number, Shape>(
      { keyType: 'int', valueType: 'string' as never, localMax: 0 },
      shapes.name,
    )
    expect(await other.get(123)).toBe('womp||6')
    expect(await shapes.get(123)).toEqual({ name: 'womp', edges: 6 })
    expect(await shapes.get(321)).toEqual({ name: 'default', edges: 0 })
  })

  it("valueType 'custom' with valueDecoderInput 'buffer' hands the decoder raw bytes", async () => {
    const packed = cache<string, number[], Buffer>({
      valueType: 'custom',
      valueEncoder: (numbers) => Buffer.from(numbers),
      valueDecoder: (raw) => [...raw],
      valueDecoderInput: 'buffer',
      localMax: 0,
    })
    await packed.set('n', [0, 200, 255])
    expect(await packed.get('n')).toEqual([0, 200, 255])
  })

  it('a custom valueEncoder that throws rejects set() with E_ENCODE and the cause', async () => {
    const cause = new Error('cannot encode')
    const broken = cache<string, string>({
      valueType: 'custom',
      valueEncoder: () => {
        throw cause
      },
      valueDecoder: (text) => text,
    })
    const error = await broken.set('k', 'v').catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'E_ENCODE', cause, key: `${broken.name}:k` })
    const wrongType = cache<string, string>({
      valueType: 'custom',
      valueEncoder: () => 42 as unknown as string,
      valueDecoder: (text) => text,
    })
    await expect(wrongType.set('k', 'v')).rejects.toThrow(/valueEncoder.*`42` \(number\)/)
  })
})
