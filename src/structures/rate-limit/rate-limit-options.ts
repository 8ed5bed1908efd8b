import { describe } from '../../errors.js'
import type { Duration } from '../../expire/duration.js'
import { longestExpireMs, positiveDuration } from '../../expire/option-values.js'
import {
  type ResolvedStructureOptions,
  resolveStructureOptions,
  type StructureOptions,
} from '../structure-options.js'

/** How a {@link RateLimiter} counts the hits of a key. */
export const RateLimitAlgorithm = {
  /** Exact: a sorted set of every unit admitted in the last `window` (memory grows with `limit`). */
  slidingLog: 'sliding-log',
  /** Approximate: this window's count plus the previous one's, weighted by how much of it still overlaps. */
  slidingWindow: 'sliding-window',
  /** One counter per window, the window starting at the key's first hit (bursts of up to 2 × limit across a boundary). */
  fixedWindow: 'fixed-window',
} as const
export type RateLimitAlgorithm = (typeof RateLimitAlgorithm)[keyof typeof RateLimitAlgorithm]

/** The options of a {@link RateLimiter}, besides those every structure takes. */
export interface RateLimiterOptions<K> extends StructureOptions<K> {
  /**
   * Units admitted per key per `window` (a hit costs 1 unit unless told otherwise): an integer from
   * 1 to 10,000 with `'sliding-log'` (it keeps one sorted-set member per unit), to 1,000,000,000 with
   * the counters.
   */
  limit: number
  /** How long the limit spans: whole milliseconds or a duration such as `'5s'`, `'1m'`; at most 100 years. */
  window: number | Duration
  /**
   * How hits are counted: `'sliding-log'` (exact, memory per key grows with `limit`),
   * `'sliding-window'` (approximate, constant memory), `'fixed-window'` (one counter, bursty).
   * See docs/rate-limits.md for each one's accuracy and memory.
   * @default 'sliding-log'
   */
  algorithm?: RateLimitAlgorithm
}

/** The options after validation. */
export interface ResolvedRateLimiterOptions<K> extends ResolvedStructureOptions<K> {
  limit: number
  windowMs: number
  algorithm: RateLimitAlgorithm
}

/** The largest `limit` of the sliding log: at most this many sorted-set members per key (about 1 MB). */
export const largestLogLimit = 10_000
/** The largest `limit` of the counters (their arithmetic stays exact in Lua's doubles). */
export const largestCounterLimit = 1_000_000_000

const algorithms: readonly string[] = Object.values(RateLimitAlgorithm)

/** Validates `options`, quoting a bad value in a `TypeError`, and fills in the defaults. */
export function resolveRateLimiterOptions<K>(options: RateLimiterOptions<K>): ResolvedRateLimiterOptions<K> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `Expected options to be an object with \`limit\` and \`window\`, got ${describe(options)}`,
    )
  }
  const shared = resolveStructureOptions(options, ['limit', 'window', 'algorithm'])
  const algorithm = options.algorithm ?? RateLimitAlgorithm.slidingLog
  if (!algorithms.includes(algorithm)) {
    throw new TypeError(
      `Expected \`algorithm\` to be one of ${algorithms.map((name) => `'${name}'`).join(', ')}, got ${describe(algorithm)}`,
    )
  }
  const largest = algorithm === RateLimitAlgorithm.slidingLog ? largestLogLimit : largestCounterLimit
  const limit: unknown = options.limit
  if (!Number.isSafeInteger(limit) || (limit as number) < 1 || (limit as number) > largest) {
    const why =
      algorithm === RateLimitAlgorithm.slidingLog ? ` with '${algorithm}' (use a counter for more)` : ''
    throw new TypeError(
      `Expected \`limit\` to be an integer from 1 to ${largest}${why}, got ${describe(limit)}`,
    )
  }
  if (options.window === undefined) {
    throw new TypeError("Expected `window` to be a duration (ms or a string such as '1m'), got `undefined`")
  }
  const windowMs = positiveDuration('window', options.window)
  if (windowMs > longestExpireMs) {
    throw new TypeError(`Expected \`window\` to be at most 100 years, got ${describe(options.window)}`)
  }
  return { ...shared, limit: limit as number, windowMs, algorithm }
}
