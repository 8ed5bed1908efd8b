import type { FlipCacheError } from './errors.js'
import type { ExpireTime } from './expire/option-values.js'
import type { GetOrSetOptions } from './loading/load-options.js'
import type { InvalidationOrigin } from './sync/sync-bus.js'

/** The public types of FlipCache's calls and events (the class is in flipcache.ts). */

/** Per-call options of `set` and `setMany`. */
export interface SetOptions {
  /** Overrides the cache's `expireTime` for these entries: ms, a duration, a preset, or `null` for none. */
  expireTime?: ExpireTime
  /**
   * Tags these entries carry (at most 64 distinct non-empty strings of at most 128 characters):
   * `invalidateTags` of any of them invalidates them on every instance. See docs/read-through.md#tags.
   */
  tags?: readonly string[]
}

/** Options of `invalidateTags`. */
export interface InvalidateTagsOptions {
  /**
   * `'delete'`: the tagged entries are gone (a miss everywhere); `'expire'`: they turn stale, so
   * getOrSet may still serve them within their `grace` while it reloads (and fall back on them if
   * the loader fails); get() misses them. @default 'delete'
   */
  mode?: 'delete' | 'expire'
}

/** Options of `wrap`: getOrSet's, and how to make a key of the wrapped function's arguments. */
export interface WrapOptions<K, A extends unknown[]> extends GetOrSetOptions {
  /**
   * The cache key for a call's arguments; required unless the function takes exactly one argument
   * that is a key. @default the one argument
   */
  key?: (...args: A) => K
}

/**
 * wrap()'s options argument: optional for a function of exactly one argument that is a key of the
 * cache (it is then the key); otherwise it must give `key`.
 */
export type WrapOptionsArg<K, A extends unknown[]> = A extends [infer Only]
  ? [Only] extends [K]
    ? [options?: WrapOptions<K, A>]
    : [options: KeyedWrapOptions<K, A>]
  : [options: KeyedWrapOptions<K, A>]

/** wrap()'s options with the `key` that a function of other than one key argument needs. */
export interface KeyedWrapOptions<K, A extends unknown[]> extends WrapOptions<K, A> {
  key: (...args: A) => K
}

/** The events a cache emits. */
export interface FlipCacheEvents<K = unknown> {
  /**
   * A failure no caller was waiting for: a sliding-expiry touch that failed, a value or key that no
   * longer decodes, a dict view's write or delete (`E_DICT_WRITE`). It names its `operation`, `key`
   * (or `keyCount`) and `server`; failures of one code are coalesced to one event a second
   * (`repeats`). See docs/error-reports.md.
   */
  error: [error: FlipCacheError]
  /** The circuit breaker marked Redis down (calls fail at once) or up again. */
  redis: [change: RedisStatusChange]
  /** L1 copies were dropped because another instance, Redis, or a lost connection said they may be stale. */
  invalidate: [invalidation: Invalidation<K>]
}

/** An `'invalidate'` event: which keys (or `'all'`) and why. */
export interface Invalidation<K> {
  keys: K[] | 'all'
  origin: InvalidationOrigin
}

/**
 * A `'redis'` event: Redis marked down after repeated failures (with the last one), or up again.
 * On a Cluster each master has its breaker, named by `node` (`host:port`).
 */
export type RedisStatusChange = ({ status: 'down'; error: Error } | { status: 'up' }) & { node?: string }
