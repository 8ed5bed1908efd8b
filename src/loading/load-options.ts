import { describe } from '../errors.js'
import type { Duration } from '../expire/duration.js'
import {
  type ExpireTime,
  longestExpireMs,
  nonNegativeDuration,
  parseExpireTime,
  positiveDuration,
} from '../expire/option-values.js'
import { checkTags } from '../tags/tag-stamps.js'

/** The distributed lock of getOrSet: how long it lives unless extended, and how long others wait for its value. */
export interface LockOptions {
  /** Life of the lock in Redis; its holder extends it every `ttl / 2` while the loader runs. @default '10s' */
  ttl?: number | Duration
  /** How long a caller waits for another process's load before it loads for itself. @default the lock's ttl */
  wait?: number | Duration
}

/** Options of `getOrSet` and `wrap`; each can also be given as a default to the constructor. */
export interface GetOrSetOptions {
  /** Freshness of the loaded value (as in `set`). @default the cache's expireTime */
  expireTime?: ExpireTime
  /** How long past freshness a stale value may still be served; the Redis TTL becomes `expireTime + grace`. @default 0 */
  grace?: number | Duration
  /** A fraction of `expireTime` (such as 0.8): a read after that point refreshes the value in the background. @default off */
  refreshAhead?: number | false
  /** Soft loader timeout: past it, a stale value (if any) is returned while the loader finishes in the background. @default 0 */
  timeout?: number | Duration
  /**
   * Past it, the call rejects with `E_LOADER_TIMEOUT` and the loader's AbortSignal fires. Without it,
   * a loader that never returns holds every caller of its key until the cache closes. @default none
   */
  hardTimeout?: number | Duration
  /** The distributed lock that makes one process load; `false` keeps only the in-process single-flight. */
  lock?: LockOptions | false
  /**
   * How long a "not found" loader result (one the cache's `notFound` matches: `null` or `undefined`
   * by default) stays fresh; it is stored without grace or refresh-ahead, so it is never served stale.
   * `false` does not store it at all. @default the call's `expireTime` (without grace)
   */
  notFoundTtl?: number | Duration | false
  /**
   * Tags the loaded value carries (as `set`'s `tags`; the loader may add more with `ctx.addTags`);
   * their counts are read in the round trip of the call's first read. Per call only. See
   * docs/read-through.md#tags. @default none
   */
  tags?: readonly string[]
}

/** The constructor's defaults for getOrSet (the soft timeout is `loaderTimeout`, since `timeout` is Redis's). */
export interface LoadDefaults {
  graceMs: number
  refreshAhead: number | undefined
  softTimeoutMs: number
  hardTimeoutMs: number | undefined
  lock: ResolvedLock | undefined
  /** Freshness of a not-found result in ms; `false`: not stored; `undefined`: the load's `expireMs` (never with grace). */
  notFoundMs?: number | false
}

export interface ResolvedLock {
  ttlMs: number
  waitMs: number
}

/** Everything a getOrSet call runs with, validated and in milliseconds. */
export interface ResolvedLoad extends LoadDefaults {
  expireMs: number | null
  /** The call's tags, checked (at most 64, distinct); `undefined`: none. */
  tags?: string[]
}

const defaultLock: ResolvedLock = { ttlMs: 10_000, waitMs: 10_000 }
const loadOptionNames = [
  'expireTime',
  'grace',
  'refreshAhead',
  'timeout',
  'hardTimeout',
  'lock',
  'notFoundTtl',
  'tags',
]

/** A grace period in ms, for an option called `option`. */
export function grace(value: unknown, option = 'grace'): number {
  const ms = nonNegativeDuration(option, value)
  if (ms > longestExpireMs)
    throw new TypeError(`Expected \`${option}\` to be at most 100 years, got ${describe(value)}`)
  return ms
}

function resolveNotFoundTtl(value: unknown): number | false {
  if (value === false) return false
  if (value === null) {
    throw new TypeError(
      'Expected `notFoundTtl` to be a duration or false, got `null`: a "not found" result kept with no expiry would never be looked up again',
    )
  }
  const ms = positiveDuration('notFoundTtl', value, ' or false')
  if (ms > longestExpireMs)
    throw new TypeError(`Expected \`notFoundTtl\` to be at most 100 years or false, got ${describe(value)}`)
  return ms
}

function resolveRefreshAhead(option: string, value: unknown): number | undefined {
  if (value === false) return undefined
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new TypeError(
      `Expected \`${option}\` to be a fraction between 0 and 1 (such as 0.8) or false, got ${describe(value)}`,
    )
  }
  return value
}

function resolveLock(option: string, value: unknown): ResolvedLock | undefined {
  if (value === false) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`${option}\` to be false or { ttl, wait }, got ${describe(value)}`)
  }
  for (const field of Object.keys(value)) {
    if (field !== 'ttl' && field !== 'wait') {
      throw new TypeError(`Unknown \`${option}\` field \`${field}\`; known fields: ttl, wait`)
    }
  }
  const { ttl, wait } = value as LockOptions
  const ttlMs = ttl === undefined ? defaultLock.ttlMs : positiveDuration(`${option}.ttl`, ttl)
  const waitMs = wait === undefined ? ttlMs : nonNegativeDuration(`${option}.wait`, wait)
  return { ttlMs, waitMs }
}

/** The constructor's getOrSet defaults. */
export function resolveLoadDefaults(options: {
  grace?: unknown
  refreshAhead?: unknown
  loaderTimeout?: unknown
  hardTimeout?: unknown
  lock?: unknown
  notFoundTtl?: unknown
}): LoadDefaults {
  return {
    graceMs: options.grace === undefined ? 0 : grace(options.grace),
    refreshAhead:
      options.refreshAhead === undefined
        ? undefined
        : resolveRefreshAhead('refreshAhead', options.refreshAhead),
    softTimeoutMs:
      options.loaderTimeout === undefined ? 0 : nonNegativeDuration('loaderTimeout', options.loaderTimeout),
    hardTimeoutMs:
      options.hardTimeout === undefined ? undefined : positiveDuration('hardTimeout', options.hardTimeout),
    lock: options.lock === undefined ? defaultLock : resolveLock('lock', options.lock),
    ...(options.notFoundTtl === undefined ? {} : { notFoundMs: resolveNotFoundTtl(options.notFoundTtl) }),
  }
}

/** One call's options over the cache's defaults; throws a `TypeError` for a bad or unknown one. */
export function resolveLoad(options: GetOrSetOptions | undefined, defaults: ResolvedLoad): ResolvedLoad {
  if (options === undefined) return defaults
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected getOrSet options to be an object, got ${describe(options)}`)
  }
  for (const option of Object.keys(options)) {
    if (!loadOptionNames.includes(option)) {
      throw new TypeError(
        `Unknown getOrSet option \`${option}\`; known options: ${loadOptionNames.join(', ')}`,
      )
    }
  }
  const resolved: ResolvedLoad = {
    expireMs: options.expireTime === undefined ? defaults.expireMs : parseExpireTime(options.expireTime),
    graceMs: options.grace === undefined ? defaults.graceMs : grace(options.grace),
    refreshAhead:
      options.refreshAhead === undefined
        ? defaults.refreshAhead
        : resolveRefreshAhead('refreshAhead', options.refreshAhead),
    softTimeoutMs:
      options.timeout === undefined
        ? defaults.softTimeoutMs
        : nonNegativeDuration('timeout', options.timeout),
    hardTimeoutMs:
      options.hardTimeout === undefined
        ? defaults.hardTimeoutMs
        : positiveDuration('hardTimeout', options.hardTimeout),
    lock: options.lock === undefined ? defaults.lock : resolveLock('lock', options.lock),
  }
  const notFoundMs =
    options.notFoundTtl === undefined ? defaults.notFoundMs : resolveNotFoundTtl(options.notFoundTtl)
  if (notFoundMs !== undefined) resolved.notFoundMs = notFoundMs
  if (options.tags !== undefined) {
    const tags = checkTags(options.tags)
    if (tags.length > 0) resolved.tags = tags
  }
  checkLoad(resolved)
  return resolved
}

/** Grace and refresh-ahead are measured against a freshness, so they need an expireTime. */
export function checkLoad(load: ResolvedLoad): void {
  if (load.expireMs !== null) return
  if (load.graceMs > 0)
    throw new TypeError(
      '`grace` needs an `expireTime`: grace is how long past expiry a stale value may be served',
    )
  if (load.refreshAhead !== undefined)
    throw new TypeError('`refreshAhead` needs an `expireTime` to take a fraction of')
}
