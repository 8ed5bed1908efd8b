import { describe } from './errors.js'
import { type Duration, parseDuration } from './expire/duration.js'
import type { BreakerSettings } from './remote/circuit-breaker.js'
import { checkRedisInput, type RedisInput } from './remote/connection.js'
import { type KeyCodec, type KeyType, keyCodecFor } from './types/key-type.js'
import type { RedisValue, ValueCodec } from './types/value-codec.js'
import {
  isValueTypeName,
  type ValueTypeName,
  valueCodecFor,
  ValueTypeName as valueTypeNames,
} from './types/value-type.js'

/** An expiry: milliseconds, a duration such as `'3d'` or an `expire.*` preset; `null` for none. */
export type ExpireTime = number | Duration | null

export interface FlipCacheOptions<K, V> {
  /**
   * An ioredis `Redis` or `Cluster` you own and share (never closed by flipcache), or a `redis://`
   * URL / ioredis options, for which flipcache opens a client of its own and closes it in `close()`.
   * @default a client for `process.env.REDIS_URL`, else `'redis://127.0.0.1:6379'`
   */
  redis?: RedisInput
  /** Most entries kept decoded in process memory (L1); `0` turns L1 off. @default 1000 */
  localMax?: number
  /** Longest an L1 copy is served without going back to Redis: ms or a duration. @default expireTime, or 60 s when there is none */
  localTtl?: number | Duration
  /** Redis time to live of each entry: ms, a duration (`'10s'`, `'3d'`), an `expire.*` preset, or `null` for none. @default null */
  expireTime?: ExpireTime
  /** How keys are checked, coerced and written after `name:`. @default 'string' */
  keyType?: KeyType<K>
  /** How values are checked and encoded in Redis. @default 'superjson' */
  valueType?: ValueTypeName
  /** `valueType: 'custom'`: turns a value into the string or Buffer stored in Redis. */
  valueEncoder?: (value: V) => RedisValue
  /** `valueType: 'custom'`: turns the stored string (or Buffer, with `valueDecoderInput: 'buffer'`) back into a value. */
  valueDecoder?: (raw: string) => V
  /** `valueType: 'custom'`: whether `valueDecoder` receives a UTF-8 `'string'` or the raw `'buffer'`. @default 'string' */
  valueDecoderInput?: 'string' | 'buffer'
  /** What `get` returns on a miss; it is never written to Redis. @default undefined */
  valueDefault?: V
  /** Sliding expiry: every read, L1 hits included, pushes the Redis TTL back to `expireTime`. Needs an `expireTime`. @default false */
  refreshExpireTimeOnGet?: boolean
  /** Longest any single Redis operation may take before it rejects: ms or a duration. @default 1000 */
  timeout?: number | Duration
  /**
   * Stops sending commands to a Redis that keeps failing: after `failures` consecutive failed round
   * trips, calls fail at once with `E_REDIS` until a probe after `cooldown` (or a reconnection)
   * succeeds; changes are emitted as `'redis'` events. `false` turns it off.
   * @default { failures: 5, cooldown: '1s' }
   */
  circuitBreaker?: { failures?: number; cooldown?: number | Duration } | false
}

/** The options after validation, with every default filled in and durations in milliseconds. */
export interface ResolvedOptions<K, V> {
  redis: RedisInput | undefined
  localMax: number
  localTtlMs: number
  expireMs: number | null
  keyCodec: KeyCodec<K>
  valueCodec: ValueCodec<V>
  valueDefault: V | undefined
  sliding: boolean
  timeoutMs: number
  breaker: BreakerSettings | undefined
}

const knownOptions = new Set<string>([
  'redis',
  'localMax',
  'localTtl',
  'expireTime',
  'keyType',
  'valueType',
  'valueEncoder',
  'valueDecoder',
  'valueDecoderInput',
  'valueDefault',
  'refreshExpireTimeOnGet',
  'timeout',
  'circuitBreaker',
])

/** Validates a cache name: a non-empty string without whitespace. */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || /\s/.test(name) || !name.isWellFormed()) {
    throw new TypeError(
      `Expected the cache name to be a non-empty string without whitespace or lone surrogates, got ${describe(name)}`,
    )
  }
}

/** A positive duration in ms, for an option called `option`. */
function positiveDuration(option: string, value: unknown, hint = ''): number {
  let ms: number
  try {
    ms = parseDuration(value as number | string)
  } catch (error) {
    throw new TypeError(`Invalid \`${option}\`: ${(error as Error).message}`)
  }
  if (ms <= 0)
    throw new TypeError(`Expected \`${option}\` to be more than 0 ms${hint}, got ${describe(value)}`)
  return ms
}

/** Parses an `expireTime` (option or per call): `null` for no expiry, else positive ms. */
export function parseExpireTime(value: unknown, option = 'expireTime'): number | null {
  if (value === null) return null
  return positiveDuration(option, value, ' (null means no expiry)')
}

/** Validates every option once, quoting the bad value in a `TypeError`, and fills in the defaults. */
export function resolveOptions<K, V>(options: FlipCacheOptions<K, V> = {}): ResolvedOptions<K, V> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got ${describe(options)}`)
  }
  for (const option of Object.keys(options)) {
    if (!knownOptions.has(option)) {
      throw new TypeError(`Unknown option \`${option}\`; known options: ${[...knownOptions].join(', ')}`)
    }
  }
  checkRedisInput(options.redis)

  const localMax = options.localMax === undefined ? 1000 : options.localMax
  if (!Number.isSafeInteger(localMax) || localMax < 0) {
    throw new TypeError(`Expected \`localMax\` to be a non-negative integer, got ${describe(localMax)}`)
  }
  const expireMs = options.expireTime === undefined ? null : parseExpireTime(options.expireTime)
  const localTtlMs =
    options.localTtl === undefined ? (expireMs ?? 60_000) : positiveDuration('localTtl', options.localTtl)
  const timeoutMs = options.timeout === undefined ? 1000 : positiveDuration('timeout', options.timeout)

  const sliding = options.refreshExpireTimeOnGet === undefined ? false : options.refreshExpireTimeOnGet
  if (typeof sliding !== 'boolean') {
    throw new TypeError(`Expected \`refreshExpireTimeOnGet\` to be a boolean, got ${describe(sliding)}`)
  }
  if (sliding && expireMs === null) {
    throw new TypeError('`refreshExpireTimeOnGet: true` needs an `expireTime` to refresh to')
  }

  return {
    redis: options.redis,
    localMax,
    localTtlMs,
    expireMs,
    keyCodec: keyCodecFor(options.keyType === undefined ? 'string' : options.keyType),
    valueCodec: resolveValueCodec(options),
    valueDefault: options.valueDefault,
    sliding,
    timeoutMs,
    breaker: resolveBreaker(options.circuitBreaker),
  }
}

function resolveBreaker(
  option: FlipCacheOptions<unknown, unknown>['circuitBreaker'],
): BreakerSettings | undefined {
  if (option === false) return undefined
  if (option === undefined) return { failures: 5, cooldownMs: 1000 }
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(
      `Expected \`circuitBreaker\` to be false or { failures, cooldown }, got ${describe(option)}`,
    )
  }
  for (const field of Object.keys(option)) {
    if (field !== 'failures' && field !== 'cooldown') {
      throw new TypeError(`Unknown \`circuitBreaker\` field \`${field}\`; known fields: failures, cooldown`)
    }
  }
  const failures = option.failures === undefined ? 5 : option.failures
  if (!Number.isSafeInteger(failures) || failures < 1) {
    throw new TypeError(
      `Expected \`circuitBreaker.failures\` to be a positive integer, got ${describe(failures)}`,
    )
  }
  const cooldownMs =
    option.cooldown === undefined ? 1000 : positiveDuration('circuitBreaker.cooldown', option.cooldown)
  return { failures, cooldownMs }
}

function resolveValueCodec<K, V>(options: FlipCacheOptions<K, V>): ValueCodec<V> {
  const valueType = options.valueType === undefined ? 'superjson' : options.valueType
  if (!isValueTypeName(valueType)) {
    throw new TypeError(
      `Expected \`valueType\` to be one of ${Object.keys(valueTypeNames)
        .map((name) => `'${name}'`)
        .join(', ')}, got ${describe(valueType)}`,
    )
  }
  const { valueEncoder, valueDecoder, valueDecoderInput = 'string' } = options
  if (valueType !== 'custom') {
    if (valueEncoder !== undefined || valueDecoder !== undefined || options.valueDecoderInput !== undefined) {
      throw new TypeError(
        `\`valueEncoder\`, \`valueDecoder\` and \`valueDecoderInput\` need \`valueType: 'custom'\`, got valueType '${valueType}'`,
      )
    }
    return valueCodecFor<V>(valueType, undefined)
  }
  if (typeof valueEncoder !== 'function') {
    throw new TypeError(`Expected \`valueEncoder\` to be a function, got ${describe(valueEncoder)}`)
  }
  if (typeof valueDecoder !== 'function') {
    throw new TypeError(`Expected \`valueDecoder\` to be a function, got ${describe(valueDecoder)}`)
  }
  if (valueDecoderInput !== 'string' && valueDecoderInput !== 'buffer') {
    throw new TypeError(
      `Expected \`valueDecoderInput\` to be 'string' or 'buffer', got ${describe(valueDecoderInput)}`,
    )
  }
  return valueCodecFor<V>('custom', {
    encoder: valueEncoder,
    decoder: valueDecoder,
    decodeBytes: valueDecoderInput === 'buffer',
  })
}
