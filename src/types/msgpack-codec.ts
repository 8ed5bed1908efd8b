import { C1, Packr } from 'msgpackr'
import { describe } from '../errors.js'
import { maxNestingDepth, valueNestsDeeper } from './nesting.js'
import type { ValueCodec } from './value-codec.js'

function refuseDeep(value: unknown): never {
  throw new TypeError(
    `Expected a value of valueType \`msgpack\` nested at most ${maxNestingDepth} deep, got ${describe(value)}`,
  )
}

// Records (`useRecords`, msgpackr's default) keep plain objects apart from Maps, which both would
// otherwise be msgpack maps; their definitions travel inline in each value, so any Packr reads any value.
// `structuredClone: false` refuses msgpackr's id and pointer extensions (0x69, 0x70) when reading:
// with them, stored data could make a value that holds itself.
const packr = new Packr({
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  useBigIntExtension: true,
  structuredClone: false,
})

/**
 * Whether a msgpack value nests deeper than `maxNestingDepth`. Every container costs at least one
 * byte of its encoding, so an encoding of at most that many bytes needs no look, and a longer one
 * bounds the walk.
 */
function packedNestsDeeper(value: unknown, packed: Buffer): boolean {
  return packed.length > maxNestingDepth && valueNestsDeeper(value, maxNestingDepth, packed.length)
}

/** MessagePack through msgpackr: Date, Map, Set, BigInt, RegExp, undefined and binary survive. */
export const msgpackCodec: ValueCodec<unknown> = {
  reply: 'buffer',
  encode(value) {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new TypeError(`Expected a value of valueType \`msgpack\`, got ${describe(value)}`)
    }
    let packed: Buffer
    try {
      packed = packr.pack(value)
    } catch (error) {
      throw new TypeError(
        `Expected a value of valueType \`msgpack\`, got ${describe(value)}: ${(error as Error).message}`,
      )
    }
    if (packedNestsDeeper(value, packed)) refuseDeep(value)
    return packed
  },
  decode(raw) {
    const value: unknown = packr.unpack(raw as Buffer)
    // 0xc1 is the one byte MessagePack never uses; msgpackr reads it as a marker instead of failing.
    if (value === C1) throw new TypeError('Stored data is not MessagePack (byte 0xc1)')
    if (packedNestsDeeper(value, raw as Buffer)) {
      throw new TypeError(`Stored MessagePack nests deeper than ${maxNestingDepth} levels`)
    }
    return value
  },
}
