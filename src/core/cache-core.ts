import * as clock from '../clock.js'
import type { Entry, EntryCodec } from '../entry/entry-codec.js'
import type { FlipCacheError } from '../errors.js'
import type { LocalEntry } from '../local/local-tier.js'
import type { Tier } from '../observe/channels.js'
import type { StatsCounter } from '../stats.js'
import type { Store } from '../store/store.js'
import type { TagNotice, TagStore } from '../store/tag-keys.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import type { TagVerdict } from '../tags/tag-versions.js'
import type { RedisValue } from '../types/value-codec.js'
import type { CacheState } from './cache-state.js'
import { type Flight, type Found, freshValue, type Looked, MISSING, Reads } from './reads.js'
import { SlidingExpiry } from './sliding-expiry.js'
import { TagReads } from './tag-reads.js'
import { type SendRemove, type SendWrite, Writes } from './writes.js'

export interface CacheCoreConfig<V> {
  store: Store
  state: CacheState<V, Flight<V>>
  entries: EntryCodec<V>
  stats: StatsCounter
  /** The default for a miss (`valueDefault`). */
  valueDefault: V | undefined
  /** Whether every value read is handed out as a copy of its own (`cloneOnRead`). @default false */
  cloneOnRead?: boolean
  /** The cache's `expireTime` in ms, when reads slide it (`refreshExpireTimeOnGet`). */
  slidingMs: number | null
  /** This instance writes or deletes `keys`: the other instances are told in the same round trip. */
  announce: (keys: string[], deleted: boolean) => void
  /** This instance emptied the namespace: the other instances are told; resolves once Redis has it. */
  announceCleared: () => Promise<void>
  /**
   * With `pubsubDict`: clear() is removing these keys (their UNLINK queued in this tick), each to be
   * published on redis_pubsub_dict's `<name>/delete` in the same round trip.
   */
  announceRemoved?: (keys: string[]) => void
  report: (error: FlipCacheError) => void
  /** The Redis layout of the cache's tags. */
  tagKeys: TagStore
  /**
   * This instance raised the counts of these tags (to these): the other instances are told (unless
   * `published`: the raising script sent the message itself); resolves once Redis has the message
   * (or the failure is reported and retried); never rejects.
   */
  announceTags: (stamps: TagStamp[], published: boolean) => Promise<void>
  /** The message a raising script may publish itself (a single node with sync on), if any. */
  tagNotice?: () => TagNotice | undefined
}

/**
 * The core of one cache: what its calls do once the facade has validated them and encoded their
 * keys. L1 hits are answered here, misses read through `Reads`, writes go through `Writes`, and
 * every L1 change goes through the one `CacheState`. Read-through is built on these same methods.
 */
export class CacheCore<V> {
  readonly state: CacheState<V, Flight<V>>
  readonly entries: EntryCodec<V>
  readonly #config: CacheCoreConfig<V>
  readonly #reads: Reads<V>
  readonly #writes: Writes<V>
  readonly #sliding: SlidingExpiry<V> | undefined
  readonly #stats: StatsCounter
  readonly #cloneOnRead: boolean
  readonly #tagReads: TagReads

  constructor(config: CacheCoreConfig<V>) {
    const { store, state, entries, stats, slidingMs, announce, report } = config
    this.#config = config
    this.state = state
    this.entries = entries
    this.#stats = stats
    this.#cloneOnRead = config.cloneOnRead ?? false
    this.#tagReads = new TagReads(config.tagKeys, state.tags)
    this.#reads = new Reads({ store, state, entries, slidingMs, report, tagReads: this.#tagReads })
    this.#writes = new Writes({ store, state, entries, stats, announce, report })
    this.#sliding =
      slidingMs !== null && state.localEnabled
        ? new SlidingExpiry(store, state, slidingMs, report)
        : undefined
  }

  /** An L1 hit: counted, and (with sliding expiry) its Redis expiry pushed back. */
  hit(key: string, entry: LocalEntry<V>, now: number): V {
    this.#stats.localHits++
    this.#sliding?.hit(key, entry, now)
    return this.#cloneOnRead ? this.copy(key, entry.value) : entry.value
  }

  /**
   * What a read hands out: the value itself, or with `cloneOnRead` a copy of its own, made the way
   * a write makes L1's copy (encoded and decoded: what a read from Redis would return).
   */
  served<T extends V | undefined>(key: string, value: T): T {
    return this.#cloneOnRead ? this.copy(key, value) : value
  }

  /** A copy of `value` through the value codec; primitives (and `undefined`) are their own copies. */
  copy<T extends V | undefined>(key: string, value: T): T {
    if (typeof value !== 'object' || value === null) return value
    return this.entries.copyOf(this.entries.encode(key, value)) as T
  }

  /** The value of `key` from Redis (an L1 miss): `valueDefault` on a miss. `seen` (a trace) learns the tier. */
  async get(key: string, seen?: { tier?: Tier }): Promise<V | undefined> {
    const looked = await this.#counted(this.lookup([key]))
    const found = freshValue(looked, 0, clock.now())
    if (seen !== undefined) seen.tier = found === MISSING ? 'miss' : 'l2'
    return this.served(key, this.count(found))
  }

  /** Values of `keys`: L1 hits locally, every miss in one round trip; `tiers` (a trace's) counts who answered. */
  async getMany(keys: string[], tiers?: Record<Tier, number>): Promise<(V | undefined)[]> {
    const values = new Array<V | undefined>(keys.length)
    if (!this.state.localEnabled) {
      if (keys.length === 0) return values
      const looked = await this.#counted(this.lookup(keys, keys.length === 1))
      const readAt = clock.now()
      for (let position = 0; position < keys.length; position++) {
        const found = freshValue(looked, position, readAt)
        if (tiers !== undefined) tiers[found === MISSING ? 'miss' : 'l2']++
        values[position] = this.served(keys[position] as string, this.count(found))
      }
      return values
    }
    const now = clock.now()
    // A key asked for twice is read twice: cheaper than deduplicating every call.
    const missing: string[] = []
    const positions: number[] = []
    for (let position = 0; position < keys.length; position++) {
      const key = keys[position] as string
      const entry = this.state.local(key, now)
      if (entry === undefined) {
        missing.push(key)
        positions.push(position)
        continue
      }
      values[position] = this.hit(key, entry, now)
    }
    if (tiers !== undefined) tiers.l1 += keys.length - missing.length
    if (missing.length === 0) return values
    const looked = await this.#counted(this.lookup(missing))
    const readAt = clock.now()
    for (let index = 0; index < positions.length; index++) {
      const found = freshValue(looked, index, readAt)
      if (tiers !== undefined) tiers[found === MISSING ? 'miss' : 'l2']++
      values[positions[index] as number] = this.served(missing[index] as string, this.count(found))
    }
    return values
  }

  /**
   * Values of `keys` from Redis, joining reads on their way (a failure is the caller's to count);
   * the counts of `tags` not known here are read in the same round trip.
   */
  lookup(keys: string[], share = true, tags?: readonly string[]): Promise<Looked<V>> {
    return this.#reads.lookup(keys, share, tags)
  }

  /** What the tags of each entry say of it (`undefined`: no tags), their unknown counts read from Redis. */
  tagVerdicts(entries: readonly (Entry<V> | undefined)[], now: number): Promise<(TagVerdict | undefined)[]> {
    return this.#reads.verdicts(entries, now)
  }

  /**
   * Stamps for values written now with `tags`: the tags' counts as this instance knows them, the
   * unknown ones read from Redis first (one round trip, once per tag and localTtl).
   */
  async stampsOf(tags: readonly string[]): Promise<TagStamp[]> {
    const now = clock.now()
    const known = this.state.tags.stampsOf(tags, now)
    if (known !== undefined) return known
    const read = await this.#counted(this.#tagReads.read(this.state.tags.unknown(tags, now)))
    return this.state.tags.stampsOf(tags, now, read) as TagStamp[]
  }

  /**
   * Invalidates every entry carrying any of `tags`, in Redis (one count raised per tag: O(tags),
   * whatever number of entries carry them) and on every instance: gone, or with `soft` stale.
   */
  async invalidateTags(tags: readonly string[], soft: boolean): Promise<void> {
    const notice = this.#config.tagNotice?.()
    const counts = await this.#counted(this.#config.tagKeys.raise(tags, soft ? 's' : 'h', notice))
    const now = clock.now()
    const stamps = tags.map((tag, index): TagStamp => {
      const { hard, soft: softCount } = counts[index] as { hard: number; soft: number }
      this.state.tags.learn(tag, { hard, soft: softCount }, now)
      return { tag, hard, soft: softCount }
    })
    await this.#config.announceTags(stamps, notice !== undefined)
  }

  /** Counts what a read found: a Redis hit, or a miss (then `valueDefault`). */
  count(found: Found<V>): V | undefined {
    if (found !== MISSING) {
      this.#stats.remoteHits++
      return found
    }
    this.#stats.misses++
    return this.#config.valueDefault
  }

  /** Whether `key` lives: true at once for a live L1 copy, else asked of Redis. */
  has(key: string): Promise<boolean> | boolean {
    if (this.state.peek(key, clock.now()) !== undefined) return true
    return this.#counted(this.#reads.exists(key))
  }

  /** Remaining life in Redis in ms; -1 for none, -2 for a missing key. */
  pttl(key: string): Promise<number> {
    return this.#counted(this.#reads.pttl(key))
  }

  /** Encodes a value of `key` (throws when it does not fit the value type). */
  encode(key: string, value: V): RedisValue {
    return this.entries.encode(key, value)
  }

  /** Writes encoded entries to Redis (through `send` when given), then L1 (see `Writes.write`). */
  write(
    entries: [key: string, encoded: RedisValue][],
    ttlMs: number | null,
    freshUntil?: number,
    send?: SendWrite,
    tags?: readonly TagStamp[],
  ): Promise<void> {
    return this.#writes.write(entries, ttlMs, freshUntil, send, tags)
  }

  /** Keeps a loaded value in L1 alone (Redis failed to take it). */
  keepLocally(
    key: string,
    encoded: RedisValue,
    ttlMs: number | null,
    freshUntil: number,
    tags?: readonly TagStamp[],
  ): void {
    this.#writes.keepLocally(key, encoded, ttlMs, freshUntil, tags)
  }

  /** Removes `keys` from Redis (through `send` when given) and L1; resolves to how many Redis had. */
  remove(keys: string[], send?: SendRemove): Promise<number> {
    return this.#writes.remove(keys, send)
  }

  /** Removes the namespace from Redis and empties L1; the other instances are told once the keys are gone. */
  async clear(): Promise<void> {
    this.state.invalidate('all')
    try {
      await this.#counted(this.#config.store.removeAll(this.#config.announceRemoved))
    } finally {
      // Reads that ran during the scan may have filled L1 with keys the scan then removed; other
      // instances hear one message once the keys are gone, so they cannot refill from them either.
      this.state.invalidate('all')
      await this.#config.announceCleared()
    }
  }

  /** Sends the sliding-expiry touches still waiting; never rejects. */
  async flush(): Promise<void> {
    await this.#sliding?.flush()
  }

  /** Awaits a Redis operation, counting its failure once. */
  async #counted<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation
    } catch (error) {
      this.#stats.errors++
      throw error
    }
  }
}
