import { C1, Packr, Unpackr } from 'msgpackr'
import { describe } from '../errors.js'
import { integersAsInts, readsAsPlainObjects, standardValue } from './msgpack-standard.js'
import { maxNestingDepth, valueNestsDeeper } from './nesting.js'
import type { ValueCodec } from './value-codec.js'

function refuseDeep(value: unknown): never {
  throw new TypeError(
    `Expected a value of valueType \`msgpack\` nested at most ${maxNestingDepth} deep, got ${describe(value)}`,
  )
}

// Standard MessagePack, as other languages' libraries write and read it: plain objects and Maps are
// maps (`useRecords: false`, with the smallest map header: `variableMapSize`), read back as Maps
// (`mapsAsObjects: false`) that `standardValue` turns into plain objects where every key is a string;
// int64 and uint64 are read as BigInts, which it turns into numbers where they are safe integers.
// Values the codec wrote before as msgpackr records (extension 0x72, definitions inline in each
// value) still read: any Unpackr reads them, and without shared `structures` no definition outlives
// the value that holds it. `structuredClone: false` refuses msgpackr's id and pointer extensions
// (0x69, 0x70) when reading: with them, stored data could make a value that holds itself.
const packr = new Packr({
  moreTypes: true,
  useRecords: false,
  variableMapSize: true,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  useBigIntExtension: true,
  structuredClone: false,
})
/** The same reader, with maps read straight into objects: for data `readsAsPlainObjects` cleared. */
const objectUnpackr = new Unpackr({
  moreTypes: true,
  mapsAsObjects: true,
  int64AsType: 'bigint',
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

/**
 * Standard MessagePack through msgpackr: plain objects are maps, safe integers are integers. Maps
 * whose keys are all strings read as plain objects, other Maps as Maps; int64/uint64 read as numbers
 * when safe, else as BigInts. Date (timestamp extension -1), Set, BigInt past 64 bits, RegExp,
 * Error and undefined survive through msgpackr's extensions; binary survives as a Buffer.
 */
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
    return integersAsInts(packed)
  },
  decode(raw) {
    const plain = readsAsPlainObjects(raw as Buffer)
    const value: unknown = plain ? objectUnpackr.unpack(raw as Buffer) : packr.unpack(raw as Buffer)
    // 0xc1 is the one byte MessagePack never uses; msgpackr reads it as a marker instead of failing.
    if (value === C1) throw new TypeError('Stored data is not MessagePack (byte 0xc1)')
    if (packedNestsDeeper(value, raw as Buffer)) {
      throw new TypeError(`Stored MessagePack nests deeper than ${maxNestingDepth} levels`)
    }
    return plain ? value : standardValue(value)
  },
}
