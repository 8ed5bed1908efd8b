import { FlipCache as FlipCacheClass } from './flipcache.js'
import type { FlipCacheOptions } from './options.js'
import type { KeyOfType, KeyTypeName } from './types/key-type.js'
import type { RedisValue } from './types/value-codec.js'
import type { ValueOfType, ValueTypeName } from './types/value-type.js'

/** A `keyType` as the constructor infers it: a name, or a codec (its `decode` gives the key type). */
export type KeyTypeArg = KeyTypeName | { encode(key: never): string; decode(encoded: string): unknown }

/** The value type of `valueType: VT`, where `C` is a custom codec's (`valueEncoder`'s argument). */
export type ValueOfOptions<VT, C> = VT extends 'custom' ? C : ValueOfType<VT>

/** What a custom `valueDecoder` receives with `valueDecoderInput: Input`. */
export type RawOfInput<Input> = Input extends 'buffer' ? Buffer : string

/** What `get` resolves to on a miss, given the type `D` of `valueDefault`: `never` with one, else `undefined`. */
export type MissOfDefault<D> = undefined extends D ? undefined : never

/** The options whose types the constructor infers the key and value types from. */
type InferredNames =
  | 'keyType'
  | 'valueType'
  | 'valueEncoder'
  | 'valueDecoder'
  | 'valueDecoderInput'
  | 'valueDefault'

/**
 * The constructor's options when it infers the types: `keyType` gives `K`, `valueType` (or a custom
 * codec) gives `V`, `valueDecoderInput` what `valueDecoder` receives, and `valueDefault` whether
 * `get` can resolve to `undefined`.
 */
export type InferringOptions<KT, VT, Input, C, D> = Omit<
  FlipCacheOptions<KeyOfType<KT>, ValueOfOptions<VT, C>, RawOfInput<Input>>,
  InferredNames
> & {
  keyType?: KT
  valueType?: VT
  valueDecoderInput?: Input
  valueEncoder?: (value: C) => RedisValue
  valueDecoder?: (raw: RawOfInput<Input>) => C
  valueDefault?: D
}

/**
 * `FlipCache`'s constructor. Without type arguments the key and value types follow the options
 * (`keyType: 'int'` → `number` keys, `valueType: 'string'` → `string` values, `typed.json<User>()`
 * → `User`, a custom codec's value type; with a `valueDefault`, `get` never resolves to
 * `undefined`). With type arguments (`new FlipCache<number, User>(...)`) the options must fit them.
 */
export interface FlipCacheConstructor {
  new <
    KT extends KeyTypeArg = 'string',
    VT extends ValueTypeName = 'superjson',
    Input extends 'string' | 'buffer' = 'string',
    C = unknown,
    D extends ValueOfOptions<VT, C> | undefined = undefined,
  >(
    name: string,
    options?: InferringOptions<KT, VT, Input, C, D>,
  ): FlipCacheClass<KeyOfType<KT>, ValueOfOptions<VT, C>, MissOfDefault<D>>
  new <K, V>(
    name: string,
    options: FlipCacheOptions<K, V, Buffer> & { valueDecoderInput: 'buffer' },
  ): FlipCacheClass<K, V>
  new <K, V>(name: string, options?: FlipCacheOptions<K, V>): FlipCacheClass<K, V>
  readonly prototype: FlipCacheClass<unknown, unknown, unknown>
}

/** The cache class, with the constructor typed by `FlipCacheConstructor`. */
export const FlipCache: FlipCacheConstructor = FlipCacheClass

/**
 * A two-tier cache of keys `K` and values `V`; `Miss` is what `get` resolves to on a miss:
 * `undefined`, or `never` when the cache has a `valueDefault`.
 */
export type FlipCache<K = string, V = unknown, Miss = undefined> = FlipCacheClass<K, V, Miss>
