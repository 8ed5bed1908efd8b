import QuickLRU from 'quick-lru'
import type { TagStamp } from '../tags/tag-stamps.js'

/** A decoded value held in process memory, and until when it may be served. */
export interface LocalEntry<V> {
  readonly value: V
  /** When this copy stops being served without going back to Redis (fill time + `localTtl`). */
  readonly localUntil: number
  /** When the Redis key expires, as far as this instance knows (`Infinity`: never). */
  redisUntil: number
  /** When the value turns stale (its logical expiry, from getOrSet's `expireTime`; `Infinity`: never). */
  readonly freshUntil: number
  /** The earliest of the three: before it, the copy is served as a hit. */
  until: number
  /** When a sliding-expiry touch was last scheduled for this key. */
  touchedAt: number
  /** The entry's tags as it was written (`undefined`: none); the state checks them on every hit. */
  readonly tags: readonly TagStamp[] | undefined
}

/**
 * L1: a bounded LRU (quick-lru) of decoded values keyed by their encoded key. An entry is a hit
 * before its `until`; after that, until the Redis key itself expires, it is kept as a stale copy that
 * read-through may fall back on (stale-while-revalidate, fail-safe) but a plain read never returns.
 *
 * quick-lru keeps two generations of up to `maxEntries` each, so memory holds at most
 * `2 * maxEntries` entries while `size` reports at most `maxEntries`.
 */
export class LocalTier<V> {
  readonly #lru: QuickLRU<string, LocalEntry<V>> | undefined
  readonly #ttlMs: number
  /** Whether copies may be served and kept: not while the cache cannot confirm that it hears the other instances. */
  #trusted = true

  /** `onEvict` hears each key dropped for room (an entry past `maxEntries`), not those expired or removed. */
  constructor(maxEntries: number, ttlMs: number, onEvict?: (key: string) => void) {
    this.#lru =
      maxEntries > 0
        ? new QuickLRU({ maxSize: maxEntries, ...(onEvict && { onEviction: (key: string) => onEvict(key) }) })
        : undefined
    this.#ttlMs = ttlMs
  }

  get enabled(): boolean {
    return this.#lru !== undefined
  }

  get size(): number {
    return this.#lru?.size ?? 0
  }

  /** The entry for `key` if it is a hit at `now`, or `undefined`; marks it recently used. */
  get(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#lru?.get(key)
    if (entry === undefined || !this.#trusted) return undefined
    if (now < entry.until) return entry
    if (now >= entry.redisUntil) this.#lru?.delete(key)
    return undefined
  }

  /** Like `get`, without changing the LRU order. */
  peek(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#lru?.peek(key)
    if (entry === undefined || now >= entry.until || !this.#trusted) return undefined
    return entry
  }

  /** The entry for `key`, hit or stale, as long as its Redis key has not expired. */
  peekStale(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#lru?.peek(key)
    if (entry === undefined || now >= entry.redisUntil) return undefined
    return entry
  }

  /**
   * Stops (or resumes) serving and keeping copies: while the cache cannot confirm that it hears the
   * other instances, a copy could miss the news of a write and go stale unnoticed. The copies held
   * stay, as stale copies for read-through's fail-safe (`peekStale`), never as hits.
   */
  trust(trusted: boolean): void {
    this.#trusted = trusted
  }

  /** Keeps `value`, unless Redis has already expired it (`redisUntil <= now`) or L1 is not trusted. */
  set(
    key: string,
    value: V,
    now: number,
    redisUntil: number,
    freshUntil = Number.POSITIVE_INFINITY,
    tags?: readonly TagStamp[],
  ): void {
    if (this.#lru === undefined) return
    if (redisUntil <= now || !this.#trusted) {
      this.#lru.delete(key)
      return
    }
    const localUntil = now + this.#ttlMs
    const until = Math.min(localUntil, redisUntil, freshUntil)
    this.#lru.set(key, { value, localUntil, redisUntil, freshUntil, until, touchedAt: now, tags })
  }

  /** The Redis expiry of `entry` was pushed back to `redisUntil` (a sliding-expiry touch at `now`). */
  touched(entry: LocalEntry<V>, now: number, redisUntil: number): void {
    entry.touchedAt = now
    entry.redisUntil = redisUntil
    entry.until = Math.min(entry.localUntil, redisUntil, entry.freshUntil)
  }

  /** The tags of the copy of `key`, hit or stale, without changing the LRU order. */
  tagsOf(key: string): readonly TagStamp[] | undefined {
    return this.#lru?.peek(key)?.tags
  }

  /** Whether L1 holds `key` (hit or stale), without changing the LRU order. */
  has(key: string): boolean {
    return this.#lru?.has(key) ?? false
  }

  delete(key: string): void {
    this.#lru?.delete(key)
  }

  /** The keys held now (hit or stale), for invalidations that name a group of keys. */
  keys(): string[] {
    return this.#lru === undefined ? [] : [...this.#lru.keys()]
  }

  clear(): void {
    this.#lru?.clear()
  }
}
