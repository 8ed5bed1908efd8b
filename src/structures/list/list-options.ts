import { defaultMaxValueBytes, largestMaxValueBytes } from '../../entry/limits.js'
import { type ExpireTime, parseExpireTime } from '../../expire/option-values.js'
import { sizeOption } from '../../option-checks.js'
import { resolveValueCodec } from '../../options.js'
import type { RedisValue, ValueCodec } from '../../types/value-codec.js'
import type { ValueTypeFor } from '../../types/value-type.js'
import {
  type ResolvedStructureOptions,
  resolveStructureOptions,
  type StructureOptions,
} from '../structure-options.js'

/**
 * The options of a `FlipList` of keys `K` and values `V` (`Raw`: what a custom `valueDecoder`
 * receives, `string` or, with `valueDecoderInput: 'buffer'`, `Buffer`).
 */
export interface FlipListOptions<K, V, Raw extends RedisValue = string> extends StructureOptions<K> {
  /** How many values each list keeps: the newest; a push trims the older ones in the same step. Required. */
  maxLength: number
  /**
   * Redis time to live of each list (ms, a duration, an `expire.*` preset, or `null` for none),
   * set again by every push: a list nobody pushes to for that long is gone. @default null
   */
  expireTime?: ExpireTime
  /**
   * How values are checked and encoded in Redis, as FlipCache's `valueType`; `typed.json<T>()` (and
   * `typed.superjson`, `typed.msgpack`) carries the value type. @default 'superjson'
   */
  valueType?: ValueTypeFor<V>
  /**
   * Largest encoded value, in bytes: a longer one is refused before anything is written
   * (`E_TOO_LARGE`); a stored element that is longer is skipped and reported (`E_DECODE`).
   * @default 1048576 (1 MiB)
   */
  maxValueBytes?: number
  /** `valueType: 'custom'`: turns a value into the string or Buffer stored in Redis. */
  valueEncoder?: (value: V) => RedisValue
  /** `valueType: 'custom'`: turns the stored string (or Buffer, with `valueDecoderInput: 'buffer'`) back into a value. */
  valueDecoder?: (raw: Raw) => V
  /** `valueType: 'custom'`: whether `valueDecoder` receives a UTF-8 `'string'` or the raw `'buffer'`. @default 'string' */
  valueDecoderInput?: Raw extends Buffer ? 'buffer' : 'string'
}

/** The longest `maxLength`: what one push may have to send, and every list may hold. */
export const largestMaxLength = 1_000_000

/** A FlipList's options after validation. */
export interface ResolvedListOptions<K, V> extends ResolvedStructureOptions<K> {
  maxLength: number
  /** `null`: no expiry. */
  expireMs: number | null
  values: ValueCodec<V>
  maxValueBytes: number
}

const ownOptionNames = [
  'maxLength',
  'expireTime',
  'valueType',
  'maxValueBytes',
  'valueEncoder',
  'valueDecoder',
  'valueDecoderInput',
]

/** Validates `options`, quoting a bad value in a `TypeError`, and fills in the defaults. */
export function resolveListOptions<K, V>(
  options: FlipListOptions<K, V> | FlipListOptions<K, V, Buffer>,
): ResolvedListOptions<K, V> {
  const shared = resolveStructureOptions<K>(options, ownOptionNames)
  if (options === undefined || options.maxLength === undefined) {
    throw new TypeError('`maxLength` is required: how many values each list keeps')
  }
  return {
    ...shared,
    maxLength: sizeOption('maxLength', options.maxLength, 0, largestMaxLength),
    expireMs: options.expireTime === undefined ? null : parseExpireTime(options.expireTime),
    values: resolveValueCodec<K, V>(options),
    maxValueBytes: sizeOption(
      'maxValueBytes',
      options.maxValueBytes,
      defaultMaxValueBytes,
      largestMaxValueBytes,
    ),
  }
}
