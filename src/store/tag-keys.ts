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

/**
 * Raises one count of every tag hash in KEYS (ARGV[1]: 'h' or 's') and, when ARGV[2] names a
 * channel, publishes the sync message of it there (ARGV[3]: the sender's id; ARGV[4..]: the tags,
 * in KEYS' order), as one step on a single node: the counts and their news in one round trip.
 * Replies with the counts after it, two per tag (hard, soft).
 */
const raiseAndTell = new LuaScript(`
local field = ARGV[1]
local counts, told = {}, {}
for index, key in ipairs(KEYS) do
  local raised = redis.call('HINCRBY', key, field, 1)
  local other = tonumber(redis.call('HGET', key, field == 'h' and 's' or 'h')) or 0
  local hard, soft = raised, other
  if field == 's' then hard, soft = other, raised end
  counts[#counts + 1] = hard
  counts[#counts + 1] = soft
  told[index] = {ARGV[3 + index], hard, soft}
end
if ARGV[2] ~= '' then
  -- s: when it was sent, by the server's clock (ms), for the receivers' delay.
  local now = redis.call('TIME')
  local sent = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  redis.call('PUBLISH', ARGV[2], cjson.encode({o = ARGV[3], e = 't', t = told, s = sent}))
end
return counts
`)

/** A count as Redis holds it: a missing hash or field is 0; anything but a safe integer reads as -1 (matches no stamp). */
function countOf(stored: string | null | undefined): number {
  if (stored === null || stored === undefined) return 0
  const count = Number(stored)
  return Number.isSafeInteger(count) && count >= 0 ? count : -1
}

/**
 * The sync message that tells the other instances of raised counts, when the raising script may
 * publish it itself (a single node: on a Cluster the tags' slots and the channel's differ).
 */
export interface TagNotice {
  channel: string
  /** The instance id the message carries, so that its sender skips it. */
  origin: string
}

/** What the core asks of the tags in Redis (`TagKeys`; a fake in unit tests). */
export interface TagStore {
  /** The counts of `tags`, queued in this tick (so they share its round trip). */
  read(tags: readonly string[]): Promise<TagCounts[]>
  /**
   * Raises the hard (`'h'`) or soft (`'s'`) count of each tag; resolves to their counts after. With
   * `notice`, the same script publishes the message `{"o","e":"t","t":[[tag,h,s],…]}` after them.
   */
  raise(tags: readonly string[], field: 'h' | 's', notice?: TagNotice): Promise<TagCounts[]>
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

  /**
   * Raises the hard (`'h'`) or soft (`'s'`) count of each tag; resolves to their counts after. With
   * `notice` (a single node), one script for every tag, which publishes the news too; else one
   * script per tag (a Cluster: each in its tag's slot), the news left to the caller.
   */
  raise(tags: readonly string[], field: 'h' | 's', notice?: TagNotice): Promise<TagCounts[]> {
    if (notice !== undefined) {
      const keys = tags.map((tag) => this.keyOf(tag))
      return raiseAndTell
        .run<number[]>(this.#batcher, keys, [field, notice.channel, notice.origin, ...tags])
        .then((counts) =>
          tags.map((_, index) => ({ hard: counts[2 * index] ?? -1, soft: counts[2 * index + 1] ?? -1 })),
        )
    }
    return Promise.all(
      tags.map((tag) =>
        raiseCount
          .run<[number, number]>(this.#batcher, [this.keyOf(tag)], [field])
          .then(([hard, soft]) => ({ hard, soft })),
      ),
    )
  }
}
