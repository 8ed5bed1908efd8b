import type { KeyTypeArg, RawOfInput, ValueOfOptions } from '../../flipcache-constructor.js'
import type { KeyOfType } from '../../types/key-type.js'
import type { RedisValue } from '../../types/value-codec.js'
import type { ValueTypeName } from '../../types/value-type.js'
import { FlipList as FlipListClass } from './flip-list-class.js'
import type { FlipListOptions } from './list-options.js'

/** The options whose types the constructor infers the key and value types from. */
type InferredNames = 'keyType' | 'valueType' | 'valueEncoder' | 'valueDecoder' | 'valueDecoderInput'

/** FlipList's options when the constructor infers the types: `keyType` gives `K`, `valueType` (or a custom codec) `V`. */
export type InferringListOptions<KT, VT, Input, C> = Omit<
  FlipListOptions<KeyOfType<KT>, ValueOfOptions<VT, C>, RawOfInput<Input>>,
  InferredNames
> & {
  keyType?: KT
  valueType?: VT
  valueDecoderInput?: Input
  valueEncoder?: (value: C) => RedisValue
  valueDecoder?: (raw: RawOfInput<Input>) => C
}

/**
 * `FlipList`'s constructor. Without type arguments the key and value types follow the options
 * (`keyType: 'int'` → `number` keys, `typed.json<Post>()` → `Post` values); with type arguments
 * (`new FlipList<string, Post>(...)`) the options must fit them.
 */
export interface FlipListConstructor {
  new <
    KT extends KeyTypeArg = 'string',
    VT extends ValueTypeName = 'superjson',
    Input extends 'string' | 'buffer' = 'string',
    C = unknown,
  >(
    name: string,
    options: InferringListOptions<KT, VT, Input, C>,
  ): FlipListClass<KeyOfType<KT>, ValueOfOptions<VT, C>>
  new <K, V>(
    name: string,
    options: FlipListOptions<K, V, Buffer> & { valueDecoderInput: 'buffer' },
  ): FlipListClass<K, V>
  new <K, V>(name: string, options: FlipListOptions<K, V>): FlipListClass<K, V>
  readonly prototype: FlipListClass<unknown, unknown>
}

/** Latest-N lists, with the constructor typed by `FlipListConstructor`. */
export const FlipList: FlipListConstructor = FlipListClass

/** Latest-N lists of keys `K` and values `V`. */
export type FlipList<K = string, V = unknown> = FlipListClass<K, V>
