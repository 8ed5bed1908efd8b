import * as clock from '../clock.js'
import type { TagCounts, TagStore } from '../store/tag-keys.js'
import type { TagVersions } from '../tags/tag-versions.js'

/**
 * Asks Redis for the counts of tags this instance does not know (or no longer trusts): one read per
 * tag however many calls want it, queued in the caller's tick so that it shares the round trip of
 * the values it decides; what comes back is kept in the state's `TagVersions`.
 */
export class TagReads {
  readonly #keys: TagStore
  readonly #versions: TagVersions
  /** Reads on their way, by tag; joined only within the generation they left in. */
  readonly #reading = new Map<string, { generation: number; counts: Promise<TagCounts> }>()

  constructor(keys: TagStore, versions: TagVersions) {
    this.#keys = keys
    this.#versions = versions
  }

  /** The counts of `tags` as Redis holds them now (the reads queued in this tick). */
  read(tags: Iterable<string>): Promise<Map<string, TagCounts>> {
    const wanted = [...new Set(tags)]
    const generation = this.#versions.generation
    const toRead = wanted.filter((tag) => this.#reading.get(tag)?.generation !== generation)
    if (toRead.length > 0) {
      const counts = this.#keys.read(toRead)
      toRead.forEach((tag, index) => {
        const one = counts.then((all) => {
          const read = all[index] as TagCounts
          this.#versions.learn(tag, read, clock.now(), generation)
          return read
        })
        const reading = { generation, counts: one }
        this.#reading.set(tag, reading)
        const forget = (): void => {
          if (this.#reading.get(tag) === reading) this.#reading.delete(tag)
        }
        one.then(forget, forget)
      })
    }
    return Promise.all(
      wanted.map((tag) => (this.#reading.get(tag) as { counts: Promise<TagCounts> }).counts),
    ).then((counts) => new Map(wanted.map((tag, index) => [tag, counts[index] as TagCounts])))
  }

  /** The counts of `tags` this instance does not know at `now`, read now; `undefined` when it knows them all. */
  readUnknown(tags: readonly string[], now: number): Promise<Map<string, TagCounts>> | undefined {
    const unknown = this.#versions.unknown(tags, now)
    return unknown.length === 0 ? undefined : this.read(unknown)
  }
}
