import type { TagStamp } from '../tags/tag-stamps.js'
import type { LocalPolicy, LocalPolicyName, PolicyBounds } from './local-policy.js'
import { LruPolicy } from './lru-policy.js'
import { S3FifoPolicy } from './s3fifo-policy.js'
import { TinyLfuPolicy } from './tinylfu-policy.js'

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

/** How an L1 is bounded, besides its entry count. */
export interface LocalTierOptions {
  /** Which entries go first when L1 is full (see `LocalPolicyName`); `'lru'` unless given. */
  readonly policy?: LocalPolicyName
  /** The most bytes of encoded values L1 holds (`Infinity` or `undefined`: no bound). */
  readonly maxBytes?: number
}

/**
 * L1: a bounded store of decoded values keyed by their encoded key, with an eviction policy of
 * its own (LRU, W-TinyLFU, S3-FIFO). An entry is a hit before its `until`; after that, until the
 * Redis key itself expires, it is kept as a stale copy that read-through may fall back on
 * (stale-while-revalidate, fail-safe) but a plain read never returns.
 *
 * It never holds more than `maxEntries` entries, nor, with `maxBytes`, more than that many bytes
 * of encoded values (the length of what Redis holds for each, as the fill reports it).
 */
export class LocalTier<V> {
  readonly #policy: LocalPolicy<LocalEntry<V>> | undefined
  readonly #ttlMs: number
  /** Whether copies may be served and kept: not while the cache cannot confirm that it hears the other instances. */
  #trusted = true

  /** `onEvict` hears each key dropped for room (past `maxEntries` or `maxBytes`), not those expired, removed or refused. */
  constructor(
    maxEntries: number,
    ttlMs: number,
    onEvict?: (key: string) => void,
    options: LocalTierOptions = {},
  ) {
    const bounds: PolicyBounds = {
      maxEntries,
      maxBytes: options.maxBytes ?? Number.POSITIVE_INFINITY,
      onEvict,
    }
    this.#policy = maxEntries > 0 ? createPolicy(options.policy ?? 'lru', bounds) : undefined
    this.#ttlMs = ttlMs
  }

  get enabled(): boolean {
    return this.#policy !== undefined
  }

  get size(): number {
    return this.#policy?.size ?? 0
  }

  /** The bytes of encoded values held (as the fills reported them). */
  get bytes(): number {
    return this.#policy?.bytes ?? 0
  }

  /** The entry for `key` if it is a hit at `now`, or `undefined`; counts it as a use (for the eviction policy). */
  get(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#policy?.get(key)
    if (entry === undefined || !this.#trusted) return undefined
    if (now < entry.until) return entry
    if (now >= entry.redisUntil) this.#policy?.delete(key)
    return undefined
  }

  /** Like `get`, without counting it as a use. */
  peek(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#policy?.peek(key)
    if (entry === undefined || now >= entry.until || !this.#trusted) return undefined
    return entry
  }

  /** The entry for `key`, hit or stale, as long as its Redis key has not expired. */
  peekStale(key: string, now: number): LocalEntry<V> | undefined {
    const entry = this.#policy?.peek(key)
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

  /**
   * Keeps `value`, unless Redis has already expired it (`redisUntil <= now`) or L1 is not trusted;
   * `bytes` is the length of its encoded value (one longer than `maxBytes` is not kept).
   */
  set(
    key: string,
    value: V,
    now: number,
    redisUntil: number,
    freshUntil = Number.POSITIVE_INFINITY,
    tags?: readonly TagStamp[],
    bytes = 0,
  ): void {
    if (this.#policy === undefined) return
    if (redisUntil <= now || !this.#trusted) {
      this.#policy.delete(key)
      return
    }
    const localUntil = now + this.#ttlMs
    const until = Math.min(localUntil, redisUntil, freshUntil)
    this.#policy.set(key, { value, localUntil, redisUntil, freshUntil, until, touchedAt: now, tags }, bytes)
  }

  /** The Redis expiry of `entry` was pushed back to `redisUntil` (a sliding-expiry touch at `now`). */
  touched(entry: LocalEntry<V>, now: number, redisUntil: number): void {
    entry.touchedAt = now
    entry.redisUntil = redisUntil
    entry.until = Math.min(entry.localUntil, redisUntil, entry.freshUntil)
  }

  /** The tags of the copy of `key`, hit or stale, without counting it as a use. */
  tagsOf(key: string): readonly TagStamp[] | undefined {
    return this.#policy?.peek(key)?.tags
  }

  /** Whether L1 holds `key` (hit or stale), without counting it as a use. */
  has(key: string): boolean {
    return this.#policy?.has(key) ?? false
  }

  delete(key: string): void {
    this.#policy?.delete(key)
  }

  /** The keys held now (hit or stale), for invalidations that name a group of keys. */
  keys(): string[] {
    return this.#policy === undefined ? [] : [...this.#policy.keys()]
  }

  clear(): void {
    this.#policy?.clear()
  }
}

function createPolicy<E>(name: LocalPolicyName, bounds: PolicyBounds): LocalPolicy<E> {
  if (name === 'tinylfu') return new TinyLfuPolicy(bounds)
  if (name === 's3fifo') return new S3FifoPolicy(bounds)
  return new LruPolicy(bounds)
}
