import { FlipCache as FlipCacheClass } from './flipcache.js'
import type { FlipCacheOptions } from './options.js'
import type { KeyOfType, KeyTypeName } from './types/key-type.js'
import type { ValueOfType, ValueTypeName } from './types/value-type.js'

/** The options whose literal types decide a cache's key and value types. */
export interface InferredOptions {
  keyType?: KeyTypeName | { encode(key: never): string; decode(encoded: string): unknown }
  valueType?: ValueTypeName
  valueDecoderInput?: 'string' | 'buffer'
  valueDefault?: unknown
}

/** The key type of a cache made with options `O`: `string` without `keyType`. */
export type KeyOfOptions<O> = 'keyType' extends keyof O ? KeyOfType<Exclude<O['keyType'], undefined>> : string

/**
 * The value type of a cache made with options `O`: the named type's (`'int'` → `number`), the
 * `typed.json<T>()` one, what a custom `valueDecoder` returns, or `unknown` (superjson by default).
 */
export type ValueOfOptions<O> = O extends { valueType: 'custom' }
  ? O extends { valueDecoder: (raw: never) => infer V }
    ? V
    : unknown
  : 'valueType' extends keyof O
    ? ValueOfType<Exclude<O['valueType'], undefined>>
    : unknown

/** What a custom `valueDecoder` of a cache made with options `O` receives. */
export type RawOfOptions<O> = O extends { valueDecoderInput: 'buffer' } ? Buffer : string

/** What `get` returns on a miss besides a value: `never` with a `valueDefault`, else `undefined`. */
export type MissOfOptions<O> = O extends { valueDefault: infer D } ? (undefined extends D ? undefined : never) : undefined

/**
 * `FlipCache`'s constructor. Without type arguments the key and value types follow the options
 * (`keyType: 'int'` → `number` keys, `valueType: 'string'` → `string` values, `typed.json<User>()`
 * → `User`, a custom `valueDecoder`'s result; with a `valueDefault`, `get` never resolves to
 * `undefined`). With type arguments (`new FlipCache<number, User>(...)`) the options must fit them.
 */
export interface FlipCacheConstructor {
  new <K = string, V = unknown>(name: string): FlipCacheClass<K, V>
  new <O extends InferredOptions>(
    name: string,
    options: O & FlipCacheOptions<KeyOfOptions<O>, ValueOfOptions<O>, RawOfOptions<O>>,
  ): FlipCacheClass<KeyOfOptions<O>, ValueOfOptions<O>, MissOfOptions<O>>
  new <K, V>(
    name: string,
    options: FlipCacheOptions<K, V, Buffer> & { valueDecoderInput: 'buffer' },
  ): FlipCacheClass<K, V>
  new <K, V>(name: string, options: FlipCacheOptions<K, V>): FlipCacheClass<K, V>
  readonly prototype: FlipCacheClass<unknown, unknown, unknown>
}

/** The cache class, with the constructor typed by `FlipCacheConstructor`. */
export const FlipCache: FlipCacheConstructor = FlipCacheClass

/**
 * A two-tier cache of keys `K` and values `V`; `Miss` is what `get` resolves to on a miss when
 * there is no `valueDefault` (`undefined`), or `never` when there is one.
 */
export type FlipCache<K = string, V = unknown, Miss = undefined> = FlipCacheClass<K, V, Miss>
