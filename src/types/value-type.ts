import { describe } from '../errors.js'
import { msgpackCodec } from './msgpack-codec.js'
import { boolCodec, bytesCodec, floatCodec, intCodec, stringCodec } from './scalar-codecs.js'
import { jsonCodec, superjsonCodec } from './structured-codecs.js'
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

/** The value type `get` returns for each named `valueType`; the structured ones and `'custom'` can hold anything. */
export interface ValueTypes {
  string: string
  int: number
  float: number
  bool: boolean
  bytes: Buffer
  json: unknown
  superjson: unknown
  msgpack: unknown
  custom: unknown
}

/** What `set` accepts for each named `valueType` (`'bytes'` writes any `Uint8Array`). */
interface AcceptedValues extends Omit<ValueTypes, 'bytes'> {
  bytes: Uint8Array
}

/**
 * The `valueType` names a cache of values `V` accepts: those that can write every `V` (a `V`
 * narrower than the name's type, such as a union of string literals for `'string'`, is your claim,
 * as with `'json'`). An untyped cache (`V` is `unknown`) takes every name.
 */
export type ValueTypeFor<V> = unknown extends V
  ? ValueTypeName
  : { [N in ValueTypeName]: [V] extends [AcceptedValues[N]] ? N : never }[ValueTypeName]

declare const valueTag: unique symbol

/**
 * A structured `valueType` name that carries the value type for TypeScript (see `typed`); at run
 * time it is the name itself.
 */
export type TypedValueType<N extends StructuredValueTypeName, V> = N & { readonly [valueTag]: V }

/** The value types whose stored form can hold any value of the declared type. */
export type StructuredValueTypeName = 'json' | 'superjson' | 'msgpack'

function typedName<N extends StructuredValueTypeName>(name: N): <V>() => TypedValueType<N, V> {
  return <V>() => name as TypedValueType<N, V>
}

/**
 * `valueType` names typed with your value type, for caches whose value type cannot be inferred:
 * `new FlipCache('users', { valueType: typed.json<User>() })` is a `FlipCache<string, User>`.
 * They return the plain name (`'json'`): the type is your claim about what the cache holds, not
 * checked when values are read back.
 */
export const typed = {
  json: typedName('json'),
  superjson: typedName('superjson'),
  msgpack: typedName('msgpack'),
} as const

/** The value type a `valueType` option stands for: `'int'` → `number`, `typed.json<T>()` → `T`; `unknown` for the untyped structured names. */
export type ValueOfType<T> = T extends { readonly [valueTag]: infer V }
  ? V
  : T extends ValueTypeName
    ? ValueTypes[T]
    : unknown

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
