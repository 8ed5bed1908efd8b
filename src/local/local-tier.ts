import QuickLRU from 'quick-lru'

/** A decoded value held in process memory, and until when it may be served. */
export interface LocalEntry<V> {
  readonly value: V
  /** When this copy stops being served without going back to Redis (fill time + `localTtl`). */
  readonly localUntil: number
  /** The earlier of `localUntil` and the Redis expiry this instance knows of: the copy is served before it. */
  until: number
  /** When a sliding-expiry touch was last scheduled for this key. */
  touchedAt: number
}

/**
 * L1: a bounded LRU (quick-lru) of decoded values keyed by their Redis key. An entry is served only
 * before both of its deadlines; an expired one is dropped when it is next looked at.
 *
 * quick-lru keeps two generations of up to `maxEntries` each, so memory holds at most
 * `2 * maxEntries` entries while `size` reports at most `maxEntries`.
 */
export class LocalTier<V> {
  readonly #lru: QuickLRU<string, LocalEntry<V>> | undefined
  readonly #ttlMs: number

  constructor(maxEntries: number, ttlMs: number) {
    this.#lru = maxEntries > 0 ? new QuickLRU({ maxSize: maxEntries }) : undefined
    this.#ttlMs = ttlMs
  }

  get enabled(): boolean {
    return this.#lru !== undefined
  }

  get size(): number {
    return this.#lru?.size ?? 0
  }

  /** The live entry for `key`, or `undefined`; marks it recently used. */
  get(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#lru?.get(key)
    if (entry === undefined) return undefined
    if (now < entry.until) return entry
    this.#lru?.delete(key)
    return undefined
  }

  /** Like `get`, without changing the LRU order. */
  peek(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#lru?.peek(key)
    if (entry === undefined || now >= entry.until) return undefined
    return entry
  }

  /** Keeps `value`, unless Redis has already expired it (`redisUntil <= now`). */
  set(key: string, value: V, now: number, redisUntil: number): void {
    if (this.#lru === undefined) return
    if (redisUntil <= now) {
      this.#lru.delete(key)
      return
    }
    const localUntil = now + this.#ttlMs
    this.#lru.set(key, { value, localUntil, until: Math.min(localUntil, redisUntil), touchedAt: now })
  }

  /** The Redis expiry of `entry` was pushed back to `redisUntil` (a sliding-expiry touch at `now`). */
  touched(entry: LocalEntry<V>, now: number, redisUntil: number): void {
    entry.touchedAt = now
    entry.until = Math.min(entry.localUntil, redisUntil)
  }

  delete(key: string): void {
    this.#lru?.delete(key)
  }

  clear(): void {
    this.#lru?.clear()
  }
}
