import { maxStructureFields } from '../store/structure-registry.js'
import { msgpackCodec } from './msgpack-codec.js'
import type { RedisValue, ValueCodec } from './value-codec.js'

/**
 * The first byte of a record: 0xc1, the one byte MessagePack never uses, so that no plain value
 * (which the `msgpack` codec writes, and refuses to read when it starts so) is taken for one.
 */
export const recordMarker = 0xc1
/** The marker and the 16-bit structure id. */
const recordHeaderBytes = 3

/** A stored record names a structure this process has not loaded: a load of the registry may cure it. */
export class UnknownStructureError extends TypeError {
  readonly id: number

  constructor(id: number) {
    super(`Stored MessagePack record names shared structure ${id}, which the registry does not hold`)
    this.id = id
  }
}

/** What the codec asks of the registry (`StructureRegistry`). */
export interface Structures {
  idOf(fields: readonly string[]): number | undefined
  fieldsOf(id: number): readonly string[] | undefined
  reload(): Promise<void>
}

/** The field names of a value written as a record: a plain object of 1 to 64 own fields, else `undefined`. */
function recordFields(value: unknown): string[] | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) {
    return undefined
  }
  const fields = Object.keys(value)
  return fields.length === 0 || fields.length > maxStructureFields ? undefined : fields
}

/** The object of `fields` and `values`; a field `__proto__` is an own field, never the prototype. */
function objectOf(fields: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {}
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index] as string
    if (field === '__proto__') {
      Object.defineProperty(object, field, {
        value: values[index],
        enumerable: true,
        writable: true,
        configurable: true,
      })
    } else object[field] = values[index]
  }
  return object
}

/**
 * `valueType: 'msgpack'` with `sharedStructures: true`: a plain object whose structure (its list of
 * field names) has an id in the namespace's registry is written as a record, `0xc1`, the id (16
 * bits, big-endian), then the MessagePack array of its field values, as the `msgpack` codec writes
 * it: the field names are stored once per namespace, not once per entry. Every other value, and an
 * object whose structure has no id yet (it is registered in the background), is written as the
 * `msgpack` codec writes it, and read as it reads it. A record reads back as the plain object the
 * `msgpack` codec would have read (its values read by that codec), so both forms give one value.
 *
 * A record of an id this process does not know throws `UnknownStructureError`: the read paths load
 * the registry (`reload`) and decode once more; an id still unknown then is an `E_DECODE` miss.
 */
export function sharedStructuresCodec(structures: Structures): ValueCodec<unknown> {
  return {
    reply: 'buffer',
    encode(value) {
      const fields = recordFields(value)
      const id = fields === undefined ? undefined : structures.idOf(fields)
      if (fields === undefined || id === undefined) return msgpackCodec.encode(value)
      const object = value as Record<string, unknown>
      const values = new Array<unknown>(fields.length)
      for (let index = 0; index < fields.length; index++) values[index] = object[fields[index] as string]
      const packed = msgpackCodec.encode(values) as Buffer
      const record = Buffer.allocUnsafe(recordHeaderBytes + packed.length)
      record[0] = recordMarker
      record.writeUInt16BE(id, 1)
      packed.copy(record, recordHeaderBytes)
      return record
    },
    decode(raw: RedisValue) {
      const bytes = raw as Buffer
      if (bytes[0] !== recordMarker) return msgpackCodec.decode(bytes)
      if (bytes.length <= recordHeaderBytes) throw new TypeError('Stored MessagePack record is truncated')
      const id = bytes.readUInt16BE(1)
      const fields = structures.fieldsOf(id)
      if (fields === undefined) throw new UnknownStructureError(id)
      const values = msgpackCodec.decode(bytes.subarray(recordHeaderBytes))
      if (!Array.isArray(values) || values.length !== fields.length) {
        throw new TypeError(
          `Stored MessagePack record of shared structure ${id} does not hold its ${fields.length} values`,
        )
      }
      return objectOf(fields, values)
    },
    reload: () => structures.reload(),
  }
}
