import type { KeyTypeArg } from '../../flipcache-constructor.js'
import type { KeyOfType } from '../../types/key-type.js'
import type { RateLimiterOptions } from './rate-limit-options.js'
import { RateLimiter as RateLimiterClass } from './rate-limiter.js'

/**
 * `new RateLimiter(name, options)`: the key type comes from `keyType` (`'int'` → `number`, a codec →
 * its key type), as for FlipCache and FlipCounter; or give it: `new RateLimiter<number>(name, { keyType: 'int', ... })`.
 */
export interface RateLimiterConstructor {
  new <KT extends KeyTypeArg = 'string'>(
    name: string,
    options: Omit<RateLimiterOptions<KeyOfType<KT>>, 'keyType'> & { keyType?: KT },
  ): RateLimiterClass<KeyOfType<KT>>
  new <K>(name: string, options: RateLimiterOptions<K>): RateLimiterClass<K>
  readonly prototype: RateLimiterClass<unknown>
}

export const RateLimiter: RateLimiterConstructor = RateLimiterClass

export type RateLimiter<K = string> = RateLimiterClass<K>
