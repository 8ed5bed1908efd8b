import { describe, expect, it } from 'vitest'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { DecodeError } from '../../src/errors.js'
import { msgpackCodec } from '../../src/types/msgpack-codec.js'
import {
  recordMarker,
  type Structures,
  sharedStructuresCodec,
  UnknownStructureError,
} from '../../src/types/shared-structures.js'

/** Structures held in memory: every shape gets an id at once unless `registering` is off. */
class MemoryStructures implements Structures {
  readonly ids = new Map<string, number>()
  readonly fields = new Map<number, readonly string[]>()
  registering = true
  /** Definitions another process registered, learnt at the next reload. */
  readonly elsewhere = new Map<number, readonly string[]>()
  reloads = 0
  failReload = false

  idOf(fields: readonly string[]): number | undefined {
    const definition = JSON.stringify(fields)
    const known = this.ids.get(definition)
    if (known !== undefined || !this.registering) return known
    const id = 40_000 + this.ids.size
    this.ids.set(definition, id)
    this.fields.set(id, fields)
    return undefined
  }

  fieldsOf(id: number): readonly string[] | undefined {
    return this.fields.get(id)
  }

  async reload(): Promise<void> {
    this.reloads++
    if (this.failReload) throw new Error('down')
    for (const [id, fields] of this.elsewhere) this.fields.set(id, fields)
  }
}

function setUp() {
  const structures = new MemoryStructures()
  return { structures, codec: sharedStructuresCodec(structures) }
}

/** Encodes twice: the first write of a shape registers it, the second is the record. */
function written(codec: ReturnType<typeof sharedStructuresCodec>, value: unknown): Buffer {
  codec.encode(value)
  return codec.encode(value) as Buffer
}

const values: unknown[] = [
  { id: 12345, name: 'user-12345', active: true },
  { a: [1, 'two', { three: true }], b: { nested: { deeper: [null] } } },
  { at: new Date(1_700_000_000_123), set: new Set([1, 'a']), big: 2n ** 70n, small: 2n ** 40n },
  {
    map: new Map<unknown, unknown>([
      [1, 'one'],
      [{ k: 1 }, 2],
    ]),
    strings: new Map([['x', 1]]),
  },
  { u: undefined, list: [1, undefined], re: /a+b/gi, bin: Buffer.from([1, 2, 3]) },
  { n: 2 ** 40, m: -(2 ** 40), f: 1.5, nan: Number.NaN, inf: Number.POSITIVE_INFINITY },
  { 2: 'b', 1: 'a', z: 'z' },
  { fn: () => 1, kept: 1 },
  {},
  [],
  [{ a: 1 }],
  'text',
  7,
  null,
  undefined,
  new Map([['only', 'strings']]),
  Object.assign(Object.create(null) as object, { nullProto: true }),
]

describe('sharedStructuresCodec', () => {
  it('reads back exactly what the msgpack codec reads back, records or not', () => {
    const { codec } = setUp()
    for (const value of values) {
      const expected = msgpackCodec.decode(msgpackCodec.encode(value))
      expect(codec.decode(written(codec, value))).toStrictEqual(expected)
    }
  })

  it('writes a plain object of a registered shape as marker, 16-bit id and the array of its values', () => {
    const { codec, structures } = setUp()
    const user = { id: 12345, name: 'user-12345', active: true }
    const first = codec.encode(user) as Buffer
    expect(first).toEqual(msgpackCodec.encode(user))
    const record = codec.encode(user) as Buffer
    expect(record[0]).toBe(recordMarker)
    expect(record.readUInt16BE(1)).toBe(structures.ids.get('["id","name","active"]'))
    expect(record.subarray(3)).toEqual(msgpackCodec.encode([12345, 'user-12345', true]))
    // The field names are 15 bytes of the map; the record adds 3 and an array header.
    expect(first.length - record.length).toBe(15 - 3)
  })

  it('writes everything else as the msgpack codec does', () => {
    const { codec } = setUp()
    const others: unknown[] = [{}, [], [{ a: 1 }], 'text', null, new Map([['a', 1]]), new Date(0)]
    const wide = Object.fromEntries(Array.from({ length: 65 }, (_, index) => [`f${index}`, index]))
    for (const value of [...others, wide, Object.assign(Object.create(null) as object, { a: 1 })]) {
      expect(written(codec, value)).toEqual(msgpackCodec.encode(value))
    }
  })

  it('keeps a field `__proto__` an own field, never the prototype', () => {
    const { codec } = setUp()
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>
    const back = codec.decode(written(codec, value)) as Record<string, unknown>
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(Object.hasOwn(back, '__proto__')).toBe(true)
    expect(back).toStrictEqual(msgpackCodec.decode(msgpackCodec.encode(value)))
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('throws UnknownStructureError for an id it does not know, another error for a broken record', () => {
    const { codec } = setUp()
    const record = written(codec, { a: 1, b: 2 })
    const unknown = Buffer.from(record)
    unknown.writeUInt16BE(7, 1)
    expect(() => codec.decode(unknown)).toThrow(UnknownStructureError)
    // Fewer values than fields, values that are no array, a record cut short, bytes that are not MessagePack.
    const broken = [
      Buffer.concat([record.subarray(0, 3), msgpackCodec.encode([1]) as Buffer]),
      Buffer.concat([record.subarray(0, 3), msgpackCodec.encode({ a: 1, b: 2 }) as Buffer]),
      record.subarray(0, 3),
      record.subarray(0, 1),
      Buffer.concat([record.subarray(0, 3), Buffer.from([0xc1])]),
      record.subarray(0, record.length - 1),
    ]
    for (const bytes of broken) {
      let thrown: unknown
      try {
        codec.decode(bytes)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(Error)
      expect(thrown).not.toBeInstanceOf(UnknownStructureError)
    }
  })

  it('writes plain maps while a shape has no id', () => {
    const { codec, structures } = setUp()
    structures.registering = false
    const value = { a: 1 }
    expect(written(codec, value)).toEqual(msgpackCodec.encode(value))
  })
})

describe('EntryCodec.unframeMany with shared structures', () => {
  function entryCodec() {
    const { codec, structures } = setUp()
    return { structures, codec, entries: new EntryCodec(codec, undefined, (key) => `t:${key}`) }
  }

  it('is synchronous when every id is known, and returns misses as undefined', () => {
    const { codec, entries, structures } = entryCodec()
    const record = written(codec, { a: 1 })
    const unframed = entries.unframeMany(['x', 'y'], [record, null])
    expect(unframed).not.toBeInstanceOf(Promise)
    expect(unframed).toEqual([expect.objectContaining({ value: { a: 1 } }), undefined])
    expect(structures.reloads).toBe(0)
  })

  it('reloads once for ids it does not know and unframes those values again', async () => {
    const { entries, structures } = entryCodec()
    const record = (id: number, values: unknown[]) =>
      Buffer.concat([Buffer.from([recordMarker, id >> 8, id & 0xff]), msgpackCodec.encode(values) as Buffer])
    structures.elsewhere.set(9, ['p', 'q'])
    const raws = [
      record(9, [1, 2]),
      record(10, [3]),
      msgpackCodec.encode('plain') as Buffer,
      record(9, [4, 5]),
    ]
    const pending = entries.unframeMany(['a', 'b', 'c', 'd'], raws)
    expect(pending).toBeInstanceOf(Promise)
    const unframed = await pending
    expect(structures.reloads).toBe(1)
    expect(unframed.map((entry) => (entry instanceof DecodeError ? 'error' : entry?.value))).toEqual([
      { p: 1, q: 2 },
      'error',
      'plain',
      { p: 4, q: 5 },
    ])
    expect((unframed[1] as DecodeError).cause).toBeInstanceOf(UnknownStructureError)
  })

  it('a failed reload leaves DecodeErrors, never a rejection', async () => {
    const { entries, structures } = entryCodec()
    structures.failReload = true
    const raw = Buffer.concat([Buffer.from([recordMarker, 0, 1]), msgpackCodec.encode([1]) as Buffer])
    const [entry] = await entries.unframeMany(['a'], [raw])
    expect(entry).toBeInstanceOf(DecodeError)
  })

  it('unframes records inside an expiry header too', async () => {
    const { codec, entries } = entryCodec()
    const record = written(codec, { a: 1 })
    const framed = entries.frame(record, { expiresAt: Date.now() + 60_000 })
    const [entry] = await entries.unframeMany(['a'], [framed as Buffer])
    expect(entry).toMatchObject({ value: { a: 1 } })
  })
})
