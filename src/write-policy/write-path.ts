import type { CacheCore } from '../core/cache-core.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import type { RedisValue } from '../types/value-codec.js'

/**
 * Where `set`, `setMany`, `delete` and `deleteMany` go once the facade has validated and encoded
 * them: straight to the cache (Redis, then L1), through the source of truth first, or to Redis
 * with a durable queue behind it. Each gets the keys and values as given (for the source) and
 * encoded (for Redis).
 */
export interface WritePath<K, V> {
  write(
    pairs: [key: K, value: V][],
    encoded: [key: string, value: RedisValue][],
    ttlMs: number | null,
    tags?: readonly TagStamp[],
  ): Promise<void>
  /** Resolves to how many of the keys Redis had. */
  remove(keys: K[], encoded: string[]): Promise<number>
  /** Drains the write-behind queue within `timeoutMs`; resolves to how many entries it still holds. */
  flushNow(timeoutMs?: number): Promise<number>
  /** Stops what the path runs (a drainer); never rejects. */
  close(): Promise<void>
}

/** The plain cache's writes: Redis, then L1. */
export function cacheOnly<K, V>(core: CacheCore<V>): WritePath<K, V> {
  return {
    write: (_pairs, encoded, ttlMs, tags) => core.write(encoded, ttlMs, undefined, undefined, tags),
    remove: (_keys, encoded) => core.remove(encoded),
    flushNow: async () => 0,
    close: async () => {},
  }
}
