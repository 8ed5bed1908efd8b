import * as clock from '../clock.js'
import type { Entry, EntryCodec, Unframed } from '../entry/entry-codec.js'
import type { ReportContext } from '../error-reporter.js'
import type { DecodeError } from '../errors.js'
import type { Store } from '../store/store.js'
import type { TagCounts } from '../store/tag-keys.js'
import type { TagVerdict } from '../tags/tag-versions.js'
import type { RedisValue } from '../types/value-codec.js'
import type { CacheState, Ticket } from './cache-state.js'
import type { TagReads } from './tag-reads.js'

/** What a lookup yields for a key Redis does not have (or holds undecodable data under). */
export const MISSING: unique symbol = Symbol('flipcache.missing')
export type Found<V> = V | typeof MISSING

/** The values of a read, in key order, and (when any value carried one) their fresh-until times. */
export interface Looked<V> {
  values: Found<V>[]
  /** `freshUntil[i]` is when value `i` turns stale; `undefined` (the whole array, or an item): never. */
  freshUntil: number[] | undefined
}

/** Value `index` of a read if it is still fresh at `now`, else `MISSING`. */
export function freshValue<V>(looked: Looked<V>, index: number, now: number): Found<V> {
  const value = looked.values[index] as Found<V>
  const freshUntil = looked.freshUntil?.[index]
  return freshUntil !== undefined && freshUntil <= now ? MISSING : value
}

/** One read of some keys on its way; later readers of those keys join it instead of asking Redis again. */
export interface Flight<V> extends Ticket {
  readonly keys: string[]
  readonly looked: Promise<Looked<V>>
}

export interface ReadsConfig<V> {
  store: Store
  state: CacheState<V, Flight<V>>
  entries: EntryCodec<V>
  /** Sliding expiry: reads use GETEX and reset the TTL to this many ms. */
  slidingMs: number | null
  /** Reports a value that did not decode (the read counts as a miss). */
  report: (error: DecodeError, context?: ReportContext) => void
  /** The counts of tags the state does not know, read from Redis. */
  tagReads: TagReads
}

/** The verdicts of entries without tags. */
const undecided: readonly (TagVerdict | undefined)[] = []

/** A stale-making verdict moves an entry's freshness to this instant: stale from the start. */
const staleSince = 0

/**
 * Reads keys from Redis for L1 misses: one round trip for all the keys asked for in a tick, one
 * read per key however many callers want it, unframed once, and offered to L1, which keeps it
 * unless the key changed while the read was out. Reads never write, but for one exception: a hash
 * field read past its expiry is removed only if it still holds exactly what was read.
 */
export class Reads<V> {
  readonly #config: ReadsConfig<V>

  constructor(config: ReadsConfig<V>) {
    this.#config = config
  }

  /**
   * Values of `keys`, in order (`MISSING` for a miss), joining reads already on their way. With
   * `share: false` the new read is not offered to later readers: for a multi-key read with L1 off,
   * indexing every key costs about as much as the rare duplicate read it would save, and with L1
   * off there is no fill to protect from a concurrent write.
   */
  lookup(keys: string[], share = true, tags?: readonly string[]): Promise<Looked<V>> {
    const { state } = this.#config
    // With L1 on, every read must be findable, so that a write can keep its answer out of L1.
    if (state.localEnabled) share = true
    if (!state.reading) return this.#read(keys, share, tags)
    let joined: (Flight<V> | undefined)[] | undefined
    for (let index = 0; index < keys.length; index++) {
      const flight = state.readOf(keys[index] as string)
      if (flight === undefined) continue
      joined ??= []
      joined[index] = flight
    }
    if (joined === undefined) return this.#read(keys, share, tags)
    const flights = joined
    const toRead = keys.filter((_, index) => flights[index] === undefined)
    const own = toRead.length > 0 ? this.#read(toRead, share, tags) : undefined
    let ownIndex = 0
    const parts = keys.map((key, index) => {
      const flight = flights[index]
      if (flight !== undefined) return flight.looked.then((looked) => pick(looked, flight.keys.indexOf(key)))
      const position = ownIndex++
      return (own as Promise<Looked<V>>).then((looked) => pick(looked, position))
    })
    return Promise.all(parts).then((picked) => ({
      values: picked.map(([value]) => value),
      freshUntil: picked.some(([, freshUntil]) => freshUntil !== undefined)
        ? picked.map(([, freshUntil]) => freshUntil ?? Number.POSITIVE_INFINITY)
        : undefined,
    }))
  }

  /**
   * Whether `key` holds a live entry: its value read and judged as get() would (its header's expiry,
   * its tags), but stale values count (as for EXISTS). Without headers, one EXISTS.
   */
  async exists(key: string): Promise<boolean> {
    const { store, entries } = this.#config
    if (!entries.headers) return store.exists(key)
    const { values } = await store.read([key], false)
    return (await this.#live(key, values[0], clock.now())) !== undefined
  }

  /** Remaining life in ms; -1 for no expiry, -2 for none (for a hash field: its own expiry or its bucket's). */
  async pttl(key: string): Promise<number> {
    const { store, entries } = this.#config
    if (!entries.headers) return store.pttl(key)
    const { values, ttls } = await store.read([key], true)
    const now = clock.now()
    const entry = await this.#live(key, values[0], now)
    if (entry === undefined) return -2
    const bucketTtl = ttls?.[0] ?? -1
    if (entry.expiresAt === Number.POSITIVE_INFINITY) return bucketTtl
    const remaining = Math.max(0, Math.round(entry.expiresAt - now))
    return bucketTtl < 0 ? remaining : Math.min(bucketTtl, remaining)
  }

  /**
   * The entry `raw` holds if it decodes, has not expired at `now` and its tags have not been
   * invalidated (a soft invalidation leaves it, stale); a decode failure is reported.
   */
  async #live(key: string, raw: RedisValue | null | undefined, now: number): Promise<Entry<V> | undefined> {
    if (raw === null || raw === undefined) return undefined
    const [entry] = await this.#config.entries.unframeMany([key], [raw])
    if (entry === undefined) return undefined
    if (entry instanceof Error) {
      this.#config.report(entry, { operation: 'read' })
      return undefined
    }
    if (entry.expiresAt <= now) return undefined
    const [verdict] = await this.verdicts([entry], now, undefined)
    return verdict === 'gone' ? undefined : entry
  }

  /**
   * What the tags of each entry say of it; the counts of tags not known here (nor in `prefetched`,
   * the counts read in the values' round trip) are read first, in one more round trip.
   */
  async verdicts(
    entries: readonly (Entry<V> | undefined)[],
    now: number,
    prefetched?: Promise<Map<string, TagCounts>>,
  ): Promise<(TagVerdict | undefined)[]> {
    const { state, tagReads } = this.#config
    const fresh = prefetched === undefined ? undefined : await prefetched
    const verdicts = entries.map((entry) =>
      entry?.tags === undefined ? undefined : state.verdict(entry.tags, now, fresh),
    )
    let missing: Set<string> | undefined
    entries.forEach((entry, index) => {
      if (entry?.tags === undefined || verdicts[index] !== undefined) return
      missing ??= new Set()
      for (const { tag } of entry.tags) missing.add(tag)
    })
    if (missing === undefined) return verdicts
    const read = await tagReads.read(missing)
    for (const [tag, counts] of fresh ?? []) if (!read.has(tag)) read.set(tag, counts)
    return entries.map((entry, index) =>
      entry?.tags === undefined
        ? undefined
        : // Counts just read from Redis decide; one that moved past the stamp's (never) reads as gone.
          (verdicts[index] ?? state.verdict(entry.tags, now, read) ?? 'gone'),
    )
  }

  #read(keys: string[], share: boolean, tags: readonly string[] | undefined): Promise<Looked<V>> {
    const { state } = this.#config
    const startedAt = clock.now()
    const fetching = this.#fetch(keys)
    // The tags this read will likely meet (the call's, and those of the L1 copies it replaces) are
    // read in the same round trip, when their counts are not known here.
    const prefetched = this.#config.tagReads.readUnknown(this.#expectedTags(keys, tags), startedAt)
    prefetched?.catch(() => {})
    const flight: Flight<V> = {
      keys,
      stale: undefined,
      looked: fetching
        .then((reply) => {
          const unframed = this.#unframe(keys, reply.values)
          // Values that name shared structures not loaded here wait for one load of the registry.
          if (unframed instanceof Promise) {
            return unframed.then((loaded) => this.#judge(flight, reply, loaded, prefetched, startedAt))
          }
          return this.#judge(flight, reply, unframed, prefetched, startedAt)
        })
        .catch((error: unknown) => {
          state.endRead(flight, keys)
          throw error
        }),
    }
    state.startRead(flight, keys, share)
    return flight.looked
  }

  /** Settles a read whose values are unframed: at once when none has tags (the common case), else after their verdicts. */
  #judge(
    flight: Flight<V>,
    reply: { values: (RedisValue | null)[]; ttls: number[] | undefined },
    unframed: (Entry<V> | undefined)[],
    prefetched: Promise<Map<string, TagCounts>> | undefined,
    startedAt: number,
  ): Looked<V> | Promise<Looked<V>> {
    const { state } = this.#config
    const { keys } = flight
    if (prefetched === undefined && !unframed.some((entry) => entry?.tags !== undefined)) {
      state.endRead(flight, keys)
      return this.#settle(flight, reply, unframed, undecided, startedAt)
    }
    return this.verdicts(unframed, clock.now(), prefetched).then((verdicts) => {
      // Ended only once the verdicts are in, so a write meanwhile still marks the read stale.
      state.endRead(flight, keys)
      return this.#settle(flight, reply, unframed, verdicts, startedAt)
    })
  }

  /** The call's tags and those of the L1 copies of `keys`, if any. */
  #expectedTags(keys: readonly string[], tags: readonly string[] | undefined): string[] {
    const { state } = this.#config
    let expected: string[] | undefined = tags === undefined ? undefined : [...tags]
    if (state.localEnabled) {
      for (const key of keys) {
        const stamps = state.localTags(key)
        if (stamps === undefined) continue
        expected ??= []
        for (const { tag } of stamps) expected.push(tag)
      }
    }
    return expected ?? []
  }

  /**
   * Each raw value as an entry; `undefined` for a miss or what does not decode (reported). A plain
   * loop, not a closure: a decode error's stack would keep a closure's context, and so every raw
   * value of the read (megabytes, for a hostile one), alive as long as the error is kept.
   */
  #unframe(
    keys: readonly string[],
    raws: readonly (RedisValue | null)[],
  ): (Entry<V> | undefined)[] | Promise<(Entry<V> | undefined)[]> {
    const unframed = this.#config.entries.unframeMany(keys, raws)
    return unframed instanceof Promise
      ? unframed.then((loaded) => this.#reported(loaded))
      : this.#reported(unframed)
  }

  /** The entries of `unframed`, each `DecodeError` in it reported and made a miss (in place). */
  #reported(unframed: Unframed<V>): (Entry<V> | undefined)[] {
    const { report } = this.#config
    for (let index = 0; index < unframed.length; index++) {
      const entry = unframed[index]
      if (entry instanceof Error) {
        report(entry, { operation: 'read' })
        unframed[index] = undefined
      }
    }
    return unframed as (Entry<V> | undefined)[]
  }

  /** Raw values, and their PTTLs when the answers will fill L1. */
  #fetch(keys: string[]): Promise<{ values: (RedisValue | null)[]; ttls: number[] | undefined }> {
    const { store, state, slidingMs } = this.#config
    if (slidingMs !== null) return store.readSliding(keys, slidingMs)
    // PTTL rides in the same round trip only when the answer will fill L1, which must not outlive Redis.
    return store.read(keys, state.localEnabled)
  }

  /**
   * Offers each entry to L1, which keeps it unless its key changed meanwhile: an expired one is a
   * miss, one its tags invalidated is a miss (`gone`) or stale from the start (`stale`).
   */
  #settle(
    flight: Flight<V>,
    reply: { values: (RedisValue | null)[]; ttls: number[] | undefined },
    unframed: readonly (Entry<V> | undefined)[],
    verdicts: readonly (TagVerdict | undefined)[],
    startedAt: number,
  ): Looked<V> {
    const { state, slidingMs, store } = this.#config
    const { keys } = flight
    const values = new Array<Found<V>>(keys.length)
    let freshUntil: number[] | undefined
    for (let index = 0; index < keys.length; index++) {
      const entry = unframed[index]
      const verdict = verdicts[index]
      if (entry === undefined || verdict === 'gone') {
        values[index] = MISSING
        continue
      }
      const key = keys[index] as string
      const { value, expiresAt, tags } = entry
      if (expiresAt <= startedAt) {
        // A hash field read past the expiry in its header: gone, as far as anyone can tell. It is
        // removed only if it still holds what was read: a write that landed meanwhile stays.
        store.removeExpired(key, reply.values[index] as RedisValue)
        values[index] = MISSING
        continue
      }
      const fresh = verdict === 'stale' ? staleSince : entry.freshUntil
      values[index] = value
      if (fresh !== Number.POSITIVE_INFINITY) {
        freshUntil ??= new Array<number>(keys.length).fill(Number.POSITIVE_INFINITY)
        freshUntil[index] = fresh
      }
      if (!state.localEnabled) continue
      const ttl = reply.ttls?.[index] ?? slidingMs ?? -2
      const redisUntil = Math.min(ttl === -1 ? Number.POSITIVE_INFINITY : startedAt + ttl, expiresAt)
      state.fill(flight, key, value, startedAt, redisUntil, fresh, tags, reply.values[index] ?? undefined)
    }
    return { values, freshUntil }
  }
}

/** Value `index` of a read, with its fresh-until time when it has one. */
function pick<V>(looked: Looked<V>, index: number): [Found<V>, number | undefined] {
  // `null` and `undefined` are values a cache may hold: only an index out of range is a miss.
  const value = index >= 0 && index < looked.values.length ? (looked.values[index] as Found<V>) : MISSING
  return [value, looked.freshUntil?.[index]]
}
