import { C1, Packr } from 'msgpackr'
import superjson from 'superjson'
import { describe } from '../errors.js'
import type { ValueCodec } from './value-codec.js'

/** Plain JSON: what `JSON.stringify` writes and `JSON.parse` reads (so Dates come back as strings). */
export const jsonCodec: ValueCodec<unknown> = {
  reply: 'string',
  encode(value) {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw new TypeError(
        `Expected a value of valueType \`json\`, got ${describe(value)}: ${(error as Error).message}`,
      )
    }
    if (text === undefined)
      throw new TypeError(`Expected a value of valueType \`json\`, got ${describe(value)}`)
    return text
  },
  decode: (raw) => JSON.parse(raw as string),
}

/**
 * An object that looks like superjson's own `{ json, meta }` envelope. Values stored as plain JSON
 * never look like this, because {@link superjsonCodec} wraps such look-alikes when writing them.
 */
function isEnvelope(parsed: unknown): parsed is { json: never; meta?: never } {
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.hasOwn(parsed, 'json')
  ) {
    return false
  }
  for (const field in parsed) if (field !== 'json' && field !== 'meta') return false
  return true
}

/**
 * superjson without paying for its wrapper: a value that needs no type metadata (plain objects,
 * arrays, strings, finite numbers, booleans, null) is stored as the plain JSON other programs can
 * read; only values with Dates, Maps, Sets, BigInts, RegExps, undefined, -0, NaN... carry
 * superjson's `{"json":...,"meta":...}` envelope.
 */
export const superjsonCodec: ValueCodec<unknown> = {
  reply: 'string',
  encode(value) {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new TypeError(`Expected a value of valueType \`superjson\`, got ${describe(value)}`)
    }
    let serialized: ReturnType<typeof superjson.serialize>
    try {
      serialized = superjson.serialize(value)
    } catch (error) {
      throw new TypeError(
        `Expected a value of valueType \`superjson\`, got ${describe(value)}: ${(error as Error).message}`,
      )
    }
    const { json, meta } = serialized
    if (meta === undefined && !isEnvelope(json)) return JSON.stringify(json)
    return JSON.stringify(meta === undefined ? { json } : { json, meta })
  },
  decode(raw) {
    const parsed: unknown = JSON.parse(raw as string)
    return isEnvelope(parsed) ? superjson.deserialize(parsed) : parsed
  },
}

// Records (`useRecords`, msgpackr's default) keep plain objects apart from Maps, which both would
// otherwise be msgpack maps; their definitions travel inline in each value, so any Packr reads any value.
const packr = new Packr({
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  useBigIntExtension: true,
})

/** MessagePack through msgpackr: Date, Map, Set, BigInt, RegExp, undefined and binary survive. */
export const msgpackCodec: ValueCodec<unknown> = {
  reply: 'buffer',
  encode(value) {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new TypeError(`Expected a value of valueType \`msgpack\`, got ${describe(value)}`)
    }
    try {
      return packr.pack(value)
    } catch (error) {
      throw new TypeError(
        `Expected a value of valueType \`msgpack\`, got ${describe(value)}: ${(error as Error).message}`,
      )
    }
  },
  decode(raw) {
    const value: unknown = packr.unpack(raw as Buffer)
    // 0xc1 is the one byte MessagePack never uses; msgpackr reads it as a marker instead of failing.
    if (value === C1) throw new TypeError('Stored data is not MessagePack (byte 0xc1)')
    return value
  },
}
