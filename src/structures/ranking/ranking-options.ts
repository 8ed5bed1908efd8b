import { type ExpireTime, parseExpireTime } from '../../expire/option-values.js'
import { sizeOption } from '../../option-checks.js'
import { defaultMaxKeyLength, type KeyCodec, type KeyTypeFor } from '../../types/key-type.js'
import {
  type ResolvedStructureOptions,
  resolveStructureOptions,
  type StructureOptions,
} from '../structure-options.js'
import { memberCodecFor } from './member-codec.js'

/** The options of a `FlipRanking` of keys `K` and members `M`. */
export interface FlipRankingOptions<K, M> extends StructureOptions<K> {
  /** How members are checked, coerced and stored in the sorted set, as `keyType` does for keys. @default 'string' */
  memberType?: KeyTypeFor<M>
  /** Longest member, in characters, as given and as encoded (a longer stored one is skipped and reported). @default 16384 */
  maxMemberLength?: number
  /**
   * Most members each ranking keeps: every increment drops the lowest scores past it, in the same
   * atomic step. `undefined` keeps every member. @default undefined (no limit)
   */
  maxSize?: number
  /**
   * Redis time to live of each ranking (ms, a duration, an `expire.*` preset, or `null` for none),
   * set again by every increment. @default null
   */
  expireTime?: ExpireTime
}

/** The largest `maxSize`. */
export const largestMaxSize = 2 ** 31 - 1

/** A FlipRanking's options after validation. */
export interface ResolvedRankingOptions<K, M> extends ResolvedStructureOptions<K> {
  members: KeyCodec<M>
  /** `null`: no limit. */
  maxSize: number | null
  /** `null`: no expiry. */
  expireMs: number | null
}

const ownOptionNames = ['memberType', 'maxMemberLength', 'maxSize', 'expireTime']

/** Validates `options`, quoting a bad value in a `TypeError`, and fills in the defaults. */
export function resolveRankingOptions<K, M>(
  options: FlipRankingOptions<K, M> | undefined,
): ResolvedRankingOptions<K, M> {
  const shared = resolveStructureOptions<K>(options, ownOptionNames)
  const given: FlipRankingOptions<K, M> = options ?? {}
  const members = memberCodecFor<M>(
    (given.memberType ?? 'string') as KeyTypeFor<M>,
    sizeOption('maxMemberLength', given.maxMemberLength, defaultMaxKeyLength, Number.MAX_SAFE_INTEGER),
  )
  return {
    ...shared,
    members,
    maxSize: given.maxSize === undefined ? null : sizeOption('maxSize', given.maxSize, 0, largestMaxSize),
    expireMs: given.expireTime === undefined ? null : parseExpireTime(given.expireTime),
  }
}
