import type { KeyTypeArg } from '../../flipcache-constructor.js'
import type { KeyOfType } from '../../types/key-type.js'
import type { FlipCounterOptions } from './counter-options.js'
import { FlipCounter as FlipCounterClass } from './flip-counter.js'

/**
 * `new FlipCounter(name, options)`: the key type comes from `keyType` (`'int'` → `number`, a codec →
 * its key type), so `restore` and `persist` see typed keys without a type argument; or give it:
 * `new FlipCounter<number>(name, { keyType: 'int' })`.
 */
export interface FlipCounterConstructor {
  new <KT extends KeyTypeArg = 'string'>(
    name: string,
    options?: Omit<FlipCounterOptions<KeyOfType<KT>>, 'keyType'> & { keyType?: KT },
  ): FlipCounterClass<KeyOfType<KT>>
  new <K>(name: string, options?: FlipCounterOptions<K>): FlipCounterClass<K>
  readonly prototype: FlipCounterClass<unknown>
}

export const FlipCounter: FlipCounterConstructor = FlipCounterClass

export type FlipCounter<K = string> = FlipCounterClass<K>
