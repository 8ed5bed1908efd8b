import type { ReadReply } from '../redis/transport-view.js'
import type { RedisValue } from '../types/value-codec.js'

/**
 * L2's layout, as the rest of the cache sees it: methods take encoded keys and go through the
 * pipeline batcher, so calls made in the same tick share one round trip. Two layouts implement it:
 * one Redis string per entry (string-store.ts) and entries packed into hash buckets (hash-store.ts).
 */
export interface Store {
  /**
   * Whether `key`'s expiry must travel in its header: a hash field on a server without field TTLs
   * (or while its server is being asked). Asked in the tick of the write, which the store sends in
   * the same tick, so both see the same answer.
   */
  headerExpiry(key: string): boolean
  /** Where `key` lives, for messages: `name:key`, or `name:b:bucket[field]`. */
  redisKey(key: string): string
  /** Values of `keys`, and with `withTtl` until when Redis keeps each (PTTLs: -1 none, -2 missing). */
  read(keys: string[], withTtl: boolean): Promise<ReadReply>
  /**
   * Values of `keys`, each read in a way that pushes its expiry back to `ttlMs`; `ttls[i]`, where
   * given, is how long Redis keeps entry `i` when that is not `ttlMs` (0: do not keep it in L1).
   */
  readSliding(keys: string[], ttlMs: number): Promise<ReadReply>
  /**
   * Writes every entry, with Redis's TTL `ttlMs` (or none); one round trip. Resolves to each entry's
   * remaining life in ms as Redis left it (-1: none) where that may differ from `ttlMs` (hash
   * buckets with expiry per bucket), else `undefined`.
   */
  write(entries: [key: string, value: RedisValue][], ttlMs: number | null): Promise<number[] | undefined>
  /** Removes `keys`; resolves to how many existed. */
  remove(keys: string[]): Promise<number>
  /**
   * An entry read past the expiry in its header: removed in the background if it still holds
   * exactly `raw` (a compare-and-delete), so that a write landed since is never lost.
   */
  removeExpired(key: string, raw: RedisValue): void
  /** Whether Redis holds `key`, as Redis sees it (without reading an expiry in the value's header). */
  exists(key: string): Promise<boolean>
  /** Remaining life in ms as Redis sees it (a hash field: its bucket's); -1 for no expiry, -2 for a missing key. */
  pttl(key: string): Promise<number>
  /** Pushes the expiry of each key to `ttlMs` from now; resolves to whether each key still existed. */
  touch(keys: string[], ttlMs: number): Promise<boolean[]>
  /** Encoded keys of the namespace, a batch at a time (a key may repeat; callers dedupe). */
  scan(): AsyncGenerator<ScanBatch>
  /**
   * Removes every key of the namespace; resolves to how many Redis keys were removed. `removing`
   * (strings only) hears each batch's encoded keys in the tick its UNLINK is queued, so that what it
   * sends rides in the same round trip.
   */
  removeAll(removing?: (keys: string[]) => void): Promise<number>
  /**
   * What Redis key `suffix` (the part after `name:`, or after `trackedPrefix`) holds, for Redis's tracking invalidations: the
   * entry itself (its encoded key) for a string; a bucket, by name; nothing of this cache otherwise.
   */
  holds(suffix: string): string | { bucket: string } | undefined
  /** The bucket an encoded key lives in, for a layout of hash buckets (string keys have none). */
  readonly bucketOf?: (key: string) => string
  /** The key prefix Redis's tracking must follow, when not the cache's own (`name:`): buckets named apart. */
  readonly trackedPrefix?: string
}

/** One batch of a namespace scan: encoded keys, and their stored values when the layout read them anyway. */
export interface ScanBatch {
  keys: string[]
  /** `values[i]` is what `keys[i]` holds (hash buckets, read whole); absent when only keys were listed. */
  values?: RedisValue[]
}
