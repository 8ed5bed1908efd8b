import QuickLRU from 'quick-lru'
import type { TagCounts } from '../store/tag-keys.js'
import type { TagStamp } from './tag-stamps.js'

/** What an entry's tags say of it: it stands, it is stale (a soft invalidation), or it is gone. */
export type TagVerdict = 'current' | 'stale' | 'gone'

interface Known extends TagCounts {
  /** Past it, the counts are asked of Redis again (an invalidation by a program that sent no message). */
  until: number
}

/** Tags whose counts are kept at once; past it the least recently used are asked of Redis again. */
const keptTags = 10_000

/**
 * The invalidation counts of the tags this instance has met, as far as it knows: learned from Redis
 * (with the values, in the same round trip where the call names its tags), raised by this
 * instance's `invalidateTags` and by the other instances' messages. A count is kept for `ttlMs`
 * (the cache's localTtl; 0 with L1 off and no sync: then only within one read), and all are
 * forgotten when the cache stops hearing the other instances. Counts only grow, so what arrives
 * late (a read sent before an invalidation, answered after its message) never lowers one.
 */
export class TagVersions {
  readonly #known = new QuickLRU<string, Known>({ maxSize: keptTags })
  readonly #ttlMs: number
  /** Raised by `forget`: counts read before it are not kept. */
  #generation = 0

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs
  }

  get generation(): number {
    return this.#generation
  }

  /** The counts of `tag` if known at `now`. */
  counts(tag: string, now: number): TagCounts | undefined {
    const known = this.#known.get(tag)
    if (known === undefined) return undefined
    if (now < known.until) return known
    this.#known.delete(tag)
    return undefined
  }

  /**
   * What `stamps` say of their entry at `now` (with `fresh`, counts just read, consulted first);
   * `undefined` when a tag's counts are unknown here, or older than the entry's (Redis must be asked).
   */
  verdict(
    stamps: readonly TagStamp[],
    now: number,
    fresh?: ReadonlyMap<string, TagCounts>,
  ): TagVerdict | undefined {
    let verdict: TagVerdict | undefined = 'current'
    for (const stamp of stamps) {
      const counts = this.#latest(stamp.tag, now, fresh)
      if (counts === undefined || counts.hard < stamp.hard) verdict = undefined
      else if (counts.hard > stamp.hard) return 'gone'
      else if (counts.soft < stamp.soft) verdict = undefined
      else if (counts.soft > stamp.soft && verdict === 'current') verdict = 'stale'
    }
    return verdict
  }

  /** The tags of `tags` whose counts are unknown at `now`. */
  unknown(tags: readonly string[], now: number): string[] {
    return tags.filter((tag) => this.counts(tag, now) === undefined)
  }

  /** Stamps for an entry written now with `tags`; `undefined` if a count is unknown. */
  stampsOf(
    tags: readonly string[],
    now: number,
    fresh?: ReadonlyMap<string, TagCounts>,
  ): TagStamp[] | undefined {
    const stamps: TagStamp[] = []
    for (const tag of tags) {
      const counts = this.#latest(tag, now, fresh)
      if (counts === undefined) return undefined
      stamps.push({ tag, hard: counts.hard, soft: counts.soft })
    }
    return stamps
  }

  /**
   * Keeps counts read from Redis (or told by a message) at `now`, unless `forget` ran since the read
   * left (`generation`, when given); never lowers a count already known.
   */
  learn(tag: string, counts: TagCounts, now: number, generation = this.#generation): void {
    if (generation !== this.#generation || counts.hard < 0 || counts.soft < 0) return
    const known = this.#known.peek(tag)
    const until = now + this.#ttlMs
    if (known === undefined) {
      if (this.#ttlMs > 0) this.#known.set(tag, { hard: counts.hard, soft: counts.soft, until })
      return
    }
    known.hard = Math.max(known.hard, counts.hard)
    known.soft = Math.max(known.soft, counts.soft)
    known.until = Math.max(known.until, until)
  }

  /** The highest counts of `tag` known here or in `fresh` (a read may be older than a message heard since). */
  #latest(
    tag: string,
    now: number,
    fresh: ReadonlyMap<string, TagCounts> | undefined,
  ): TagCounts | undefined {
    const known = this.counts(tag, now)
    const read = fresh?.get(tag)
    if (read === undefined || known === undefined) return read ?? known
    return { hard: Math.max(read.hard, known.hard), soft: Math.max(read.soft, known.soft) }
  }

  /** Every count is asked of Redis again: the cache may have missed messages, or Redis was emptied. */
  forget(): void {
    this.#generation++
    this.#known.clear()
  }
}
