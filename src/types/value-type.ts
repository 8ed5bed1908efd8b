import { describe } from '../errors.js'
import { boolCodec, bytesCodec, floatCodec, intCodec, stringCodec } from './scalar-codecs.js'
import { jsonCodec, msgpackCodec, superjsonCodec } from './structured-codecs.js'
import type { RedisValue, ValueCodec } from './value-codec.js'

/** The value types flipcache knows by name; `'custom'` uses `valueEncoder` / `valueDecoder`. */
export const ValueTypeName = {
  string: 'string',
  int: 'int',
  float: 'float',
  bool: 'bool',
  json: 'json',
  superjson: 'superjson',
  msgpack: 'msgpack',
  bytes: 'bytes',
  custom: 'custom',
} as const
export type ValueTypeName = (typeof ValueTypeName)[keyof typeof ValueTypeName]

/** The hooks of `valueType: 'custom'`. */
export interface CustomValueHooks<V> {
  encoder: (value: V) => RedisValue
  decoder: (raw: string) => V
  /** Hand `decoder` raw bytes (a Buffer) instead of a UTF-8 string. */
  decodeBytes: boolean
}

const namedValueCodecs: Record<
  Exclude<ValueTypeName, 'custom'>,
  ValueCodec<string> | ValueCodec<number> | ValueCodec<boolean> | ValueCodec<Uint8Array> | ValueCodec<unknown>
> = {
  string: stringCodec,
  int: intCodec,
  float: floatCodec,
  bool: boolCodec,
  json: jsonCodec,
  superjson: superjsonCodec,
  msgpack: msgpackCodec,
  bytes: bytesCodec,
}

function customCodec<V>(hooks: CustomValueHooks<V>): ValueCodec<V> {
  const decoder = hooks.decoder as (raw: RedisValue) => V
  return {
    reply: hooks.decodeBytes ? 'buffer' : 'string',
    encode(value) {
      const encoded: unknown = hooks.encoder(value)
      if (typeof encoded !== 'string' && !Buffer.isBuffer(encoded)) {
        throw new TypeError(
          `Expected \`valueEncoder\` to return a string or a Buffer, got ${describe(encoded)}`,
        )
      }
      return encoded
    },
    decode: decoder,
  }
}

/** The codec for a `valueType` option (validated by the caller). */
export function valueCodecFor<V>(
  valueType: ValueTypeName,
  hooks: CustomValueHooks<V> | undefined,
): ValueCodec<V> {
  if (valueType === 'custom') {
    if (!hooks) throw new TypeError("`valueType: 'custom'` needs both `valueEncoder` and `valueDecoder`")
    return customCodec(hooks)
  }
  return namedValueCodecs[valueType] as unknown as ValueCodec<V>
}

export function isValueTypeName(value: unknown): value is ValueTypeName {
  return typeof value === 'string' && Object.hasOwn(ValueTypeName, value)
}
