import type { TransportView } from '../redis/transport-view.js'
import { LuaScript } from './scripts.js'

/** A tag's two invalidation counts in Redis: `hard` (its entries are gone) and `soft` (they are stale). */
export interface TagCounts {
  hard: number
  soft: number
}

/**
 * Raises one count of tag hash KEYS[1] (ARGV[1]: 'h' or 's') and replies with both counts after it,
 * as one step (so the reply is what Redis holds, whatever else raised them meanwhile).
 */
const raiseCount = new LuaScript(`
local raised = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local other = redis.call('HGET', KEYS[1], ARGV[1] == 'h' and 's' or 'h')
if ARGV[1] == 'h' then return {raised, tonumber(other) or 0} end
return {tonumber(other) or 0, raised}
`)

/** A count as Redis holds it: a missing hash or field is 0; anything but a safe integer reads as -1 (matches no stamp). */
function countOf(stored: string | null | undefined): number {
  if (stored === null || stored === undefined) return 0
  const count = Number(stored)
  return Number.isSafeInteger(count) && count >= 0 ? count : -1
}

/** What the core asks of the tags in Redis (`TagKeys`; a fake in unit tests). */
export interface TagStore {
  /** The counts of `tags`, queued in this tick (so they share its round trip). */
  read(tags: readonly string[]): Promise<TagCounts[]>
  /** Raises the hard (`'h'`) or soft (`'s'`) count of each tag; resolves to their counts after. */
  raise(tags: readonly string[], field: 'h' | 's'): Promise<TagCounts[]>
}

/**
 * The Redis layout of a cache's tags: one hash per tag, `${prefix}${tag}` (the prefix is the
 * `tagPrefix` option and the cache's key prefix, so that a `hashTag` keeps them in the cache's
 * slot), with the fields `h` and `s`, each a count raised by `HINCRBY`. An entry carries the counts
 * of its tags as they were when it was written; it is gone once `h` has moved on, stale once `s` has.
 * Invalidating a tag is O(1) in Redis, whatever number of entries carry it.
 */
export class TagKeys implements TagStore {
  readonly #batcher: TransportView
  readonly #prefix: string

  constructor(batcher: TransportView, prefix: string) {
    this.#batcher = batcher
    this.#prefix = prefix
  }

  keyOf(tag: string): string {
    return this.#prefix + tag
  }

  /** The counts of `tags`, queued in this tick (so they share its round trip): one `HMGET` each. */
  read(tags: readonly string[]): Promise<TagCounts[]> {
    return Promise.all(
      tags.map((tag) =>
        this.#batcher
          .command<(string | null)[]>('HMGET', [this.keyOf(tag), 'h', 's'])
          .then((reply) => ({ hard: countOf(reply?.[0]), soft: countOf(reply?.[1]) })),
      ),
    )
  }

  /** Raises the hard (`'h'`) or soft (`'s'`) count of each tag; resolves to their counts after. */
  raise(tags: readonly string[], field: 'h' | 's'): Promise<TagCounts[]> {
    return Promise.all(
      tags.map((tag) =>
        raiseCount
          .run<[number, number]>(this.#batcher, [this.keyOf(tag)], [field])
          .then(([hard, soft]) => ({ hard, soft })),
      ),
    )
  }
}
