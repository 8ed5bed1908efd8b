import { describe } from '../../errors.js'
import type { Duration } from '../../expire/duration.js'
import { type ExpireTime, parseExpireTime, positiveDuration } from '../../expire/option-values.js'
import { sizeOption } from '../../option-checks.js'
import {
  type ResolvedStructureOptions,
  resolveStructureOptions,
  type StructureOptions,
} from '../structure-options.js'

/** Where a FlipCounter hands its changed counters over: `[key, latest value]` pairs, one batch a call. */
export type PersistCounters<K> = (changes: [key: K, value: number][]) => Promise<void>

/** Reads a missing counter's value from the source of truth (a safe integer). */
export type RestoreCounter<K> = (key: K) => number | Promise<number>

/** The options of a {@link FlipCounter}: the shared structure options and its own. */
export interface FlipCounterOptions<K> extends StructureOptions<K> {
  /**
   * How long a counter lives in Redis after its last increment (each increment sets it again, in
   * the same step): ms, a duration such as `'100s'`, or `null` for no expiry. @default null
   */
  expireTime?: ExpireTime
  /**
   * Reads a missing counter (expired, evicted, flushed) from the source of truth. Called once per
   * missing counter across every process; increments made meanwhile are added to what it returns.
   * Without it, a missing counter starts from 0. @default undefined
   */
  restore?: RestoreCounter<K>
  /**
   * How long a `restore` call may take: past it the call fails with `E_RESTORE`, and another
   * caller (in any process) may restore the counter instead. ms or a duration. @default 5000
   */
  restoreTimeout?: number | Duration
  /**
   * Hands the counters changed since the last hand-over to the source of truth, in batches, every
   * `persistInterval`; at-least-once (see docs/counters.md). Every instance that increments the
   * counters must have it, since only those record which counters changed. On a Redis Cluster it
   * needs `hashTag: true`. @default undefined
   */
  persist?: PersistCounters<K>
  /** How often the changed counters are handed to `persist`: ms or a duration. @default 5000 */
  persistInterval?: number | Duration
  /** Most counters handed to `persist` in one call. @default 100 */
  persistBatchSize?: number
  /**
   * How long a hand-over may stay unacknowledged (its `persist` call still running, or its process
   * gone) before another instance hands the same counters over again: ms or a duration. Keep it
   * longer than the slowest `persist` call. @default 60000
   */
  persistTimeout?: number | Duration
  /** How long `close()` waits for its last hand-over to `persist`: ms or a duration. @default 5000 */
  closeTimeout?: number | Duration
}

/** The options of a FlipCounter after validation. */
export interface ResolvedCounterOptions<K> extends ResolvedStructureOptions<K> {
  /** 0 for no expiry. */
  expireMs: number
  restore: RestoreCounter<K> | undefined
  restoreTimeoutMs: number
  persist: PersistCounters<K> | undefined
  persistIntervalMs: number
  persistBatchSize: number
  persistTimeoutMs: number
  closeTimeoutMs: number
}

const counterOptionNames = [
  'expireTime',
  'restore',
  'restoreTimeout',
  'persist',
  'persistInterval',
  'persistBatchSize',
  'persistTimeout',
  'closeTimeout',
]

function functionOption<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function, got ${describe(value)}`)
  }
  return value as F
}

const duration = (name: string, value: unknown, fallback: number): number =>
  value === undefined ? fallback : positiveDuration(name, value)

/** Validates `options`, quoting a bad value in a `TypeError`, and fills in the defaults. */
export function resolveCounterOptions<K>(
  options: FlipCounterOptions<K> | undefined,
): ResolvedCounterOptions<K> {
  const shared = resolveStructureOptions(options, counterOptionNames)
  const given = options ?? {}
  const expire = given.expireTime === undefined ? null : parseExpireTime(given.expireTime)
  const resolved: ResolvedCounterOptions<K> = {
    ...shared,
    expireMs: expire ?? 0,
    restore: functionOption<RestoreCounter<K>>('restore', given.restore),
    restoreTimeoutMs: duration('restoreTimeout', given.restoreTimeout, 5000),
    persist: functionOption<PersistCounters<K>>('persist', given.persist),
    persistIntervalMs: duration('persistInterval', given.persistInterval, 5000),
    persistBatchSize: sizeOption('persistBatchSize', given.persistBatchSize, 100, 100_000),
    persistTimeoutMs: duration('persistTimeout', given.persistTimeout, 60_000),
    closeTimeoutMs: duration('closeTimeout', given.closeTimeout, 5000),
  }
  if (resolved.persist !== undefined && expire !== null && expire <= resolved.persistIntervalMs) {
    throw new TypeError(
      `Expected \`expireTime\` (${expire} ms) to be longer than \`persistInterval\` (${resolved.persistIntervalMs} ms): ` +
        'a counter that expires before its hand-over loses its last increments',
    )
  }
  return resolved
}
