import type { FlipCacheLogger } from '../error-reporter.js'
import type { Duration } from '../expire/duration.js'
import { positiveDuration } from '../expire/option-values.js'
import { loggerOption } from '../logger-option.js'
import {
  booleanOption,
  type CircuitBreakerOption,
  checkKnownOptions,
  resolveBreaker,
  sizeOption,
} from '../option-checks.js'
import type { BreakerSettings } from '../redis/circuit-breaker.js'
import { checkRedisInput, type RedisInput } from '../redis/connection.js'
import { defaultMaxKeyLength, type KeyCodec, type KeyTypeFor, keyCodecFor } from '../types/key-type.js'

/**
 * The options every Redis structure of flipcache takes (FlipCounter, RateLimiter, FlipList,
 * FlipRanking), with the meaning they have for FlipCache.
 */
export interface StructureOptions<K> {
  /**
   * An ioredis `Redis` or `Cluster` you own and share (never closed by flipcache; the calls of one
   * tick of every flipcache class on it travel in one pipeline), or a `redis://` URL / ioredis
   * options for a client of its own, closed in `close()`.
   * @default a client for `process.env.REDIS_URL`, else `'redis://127.0.0.1:6379'`
   */
  redis?: RedisInput
  /** How keys are checked, coerced and written after `name:`. @default 'string' */
  keyType?: KeyTypeFor<K>
  /** Longest key, in characters, as given and as encoded. @default 16384 */
  maxKeyLength?: number
  /** Longest any single Redis operation may take before it rejects (`E_TIMEOUT`): ms or a duration. @default 1000 */
  timeout?: number | Duration
  /**
   * The client's circuit breaker, shared with every flipcache class on the client (the first one's
   * settings apply); `false` turns it off. @default { failures: 5, cooldown: '1s' }
   */
  circuitBreaker?: CircuitBreakerOption
  /** Wraps the name in a Redis Cluster hash tag (`{name}:key`): every key in one slot. @default false */
  hashTag?: boolean
  /**
   * Where failures no caller awaits are reported (besides the 'error' event, when it has
   * listeners), instead of process warnings: `logger.error(fields, message)`, pino style (a pino
   * logger or `console` fit). See docs/error-reports.md.
   * @default none (process warnings without an 'error' listener)
   */
  logger?: FlipCacheLogger
}

/** The shared options after validation. */
export interface ResolvedStructureOptions<K> {
  redis: RedisInput | undefined
  keys: KeyCodec<K>
  timeoutMs: number
  breaker: BreakerSettings | undefined
  hashTag: boolean
  logger: FlipCacheLogger | undefined
}

const sharedOptionNames = [
  'redis',
  'keyType',
  'maxKeyLength',
  'timeout',
  'circuitBreaker',
  'hashTag',
  'logger',
]

/**
 * Validates the shared options of `options` (whose other options must be among `ownOptionNames`),
 * quoting a bad value in a `TypeError`, and fills in their defaults.
 */
export function resolveStructureOptions<K>(
  options: StructureOptions<K> | undefined,
  ownOptionNames: readonly string[],
): ResolvedStructureOptions<K> {
  const given = options ?? {}
  checkKnownOptions(given, new Set([...sharedOptionNames, ...ownOptionNames]))
  checkRedisInput(given.redis)
  return {
    redis: given.redis,
    keys: keyCodecFor(
      given.keyType ?? 'string',
      sizeOption('maxKeyLength', given.maxKeyLength, defaultMaxKeyLength, Number.MAX_SAFE_INTEGER),
    ),
    timeoutMs: given.timeout === undefined ? 1000 : positiveDuration('timeout', given.timeout),
    breaker: resolveBreaker(given.circuitBreaker),
    hashTag: booleanOption('hashTag', given.hashTag, false),
    logger: loggerOption(given.logger),
  }
}
