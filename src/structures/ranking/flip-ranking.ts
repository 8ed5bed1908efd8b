import type { KeyTypeArg } from '../../flipcache-constructor.js'
import type { KeyOfType } from '../../types/key-type.js'
import { FlipRanking as FlipRankingClass } from './flip-ranking-class.js'
import type { FlipRankingOptions } from './ranking-options.js'

/** FlipRanking's options when the constructor infers the types: `keyType` gives `K`, `memberType` gives `M`. */
export type InferringRankingOptions<KT, MT> = Omit<
  FlipRankingOptions<KeyOfType<KT>, KeyOfType<MT>>,
  'keyType' | 'memberType'
> & {
  keyType?: KT
  memberType?: MT
}

/**
 * `FlipRanking`'s constructor. Without type arguments the key and member types follow the options
 * (`keyType: 'int'` → `number` keys, `memberType: 'bigint'` → `bigint` members); with type
 * arguments (`new FlipRanking<string, number>(...)`) the options must fit them.
 */
export interface FlipRankingConstructor {
  new <KT extends KeyTypeArg = 'string', MT extends KeyTypeArg = 'string'>(
    name: string,
    options?: InferringRankingOptions<KT, MT>,
  ): FlipRankingClass<KeyOfType<KT>, KeyOfType<MT>>
  new <K, M>(name: string, options?: FlipRankingOptions<K, M>): FlipRankingClass<K, M>
  readonly prototype: FlipRankingClass<unknown, unknown>
}

/** Top-N rankings, with the constructor typed by `FlipRankingConstructor`. */
export const FlipRanking: FlipRankingConstructor = FlipRankingClass

/** Top-N rankings of keys `K` and members `M`. */
export type FlipRanking<K = string, M = string> = FlipRankingClass<K, M>
