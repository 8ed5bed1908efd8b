import type { LockLostError } from '../errors.js'
import type { Duration } from '../expire/duration.js'
import type { LockOptions } from './load-options.js'

/**
 * The cache options that are getOrSet's defaults (each call may override them, see
 * `GetOrSetOptions`): grace, refresh-ahead, loader time limits, the lock, and "not found" values.
 * Part of `FlipCacheOptions`; validated in load-options.ts.
 */
export interface GetOrSetDefaults<V> {
  /** getOrSet default: how long past freshness a stale value may still be served. @default 0 */
  grace?: number | Duration
  /** getOrSet default: the fraction of `expireTime` after which a read refreshes in the background. @default off */
  refreshAhead?: number | false
  /** getOrSet default for its soft `timeout` (named apart from `timeout`, which bounds Redis operations). @default 0 */
  loaderTimeout?: number | Duration
  /**
   * getOrSet default: past it, the call rejects with `E_LOADER_TIMEOUT`. Without it, a loader that
   * never returns holds every caller of its key until the cache closes. @default none
   */
  hardTimeout?: number | Duration
  /** getOrSet default: the distributed lock, or `false` for the in-process single-flight only. @default { ttl: '10s', wait: ttl } */
  lock?: LockOptions | false
  /**
   * getOrSet default: how long a "not found" loader result (see `notFound`) stays fresh. It is stored
   * without grace or refresh-ahead, so a stale "not found" is never served; `false` does not store
   * it at all. @default the call's `expireTime` (without grace)
   */
  notFoundTtl?: number | Duration | false
  /**
   * Which loaded values are "not found", kept for `notFoundTtl` rather than `expireTime + grace`.
   * Only values the value type can hold are stored: `'json'` holds `null` but refuses `undefined`
   * (the load fails with `E_LOADER`, cause a `TypeError`), `'superjson'` and `'msgpack'` hold both,
   * the scalar types neither. Asked only when the loader neither skipped nor set a TTL; if it throws,
   * the load fails (`E_LOADER`, its error as `cause`). @default (value) => value === null || value === undefined
   */
  notFound?: (value: V) => boolean
  /**
   * Prefix of getOrSet's lock keys (`${lockPrefix}${name}:${key}`), so that `redis-cli --scan --pattern '_lock:*'`
   * lists them. A cache name whose keys would overlap them (`_lock`, say) is refused. @default '_lock:'
   */
  lockPrefix?: string
  /**
   * Called when a getOrSet lock expired or was deleted (FLUSHALL, eviction) before its holder
   * released it; the loaded value is still returned and stored. @default reports it on 'error' (`E_LOCK_LOST`)
   */
  lockRelease?: (error: LockLostError) => void
}
