/** Fewest entries before the index is rebuilt (below it, a rebuild would cost more than it saves). */
const smallest = 1024

/**
 * Which keys of each hash bucket a cache may hold a copy of, or have a read or write of on its way,
 * so that a tracking invalidation of one bucket costs the keys of that bucket, not a scan of L1.
 * It may name more keys than that (keys since dropped are left until the next rebuild), never
 * fewer: every key is added as it enters L1 or goes out to Redis. When it holds twice what it held
 * after the last rebuild, it is rebuilt from what the cache holds, so it stays within twice that,
 * and a rebuild's cost is spread over as many additions.
 */
export class BucketIndex {
  readonly #bucketOf: (key: string) => string
  #keys = new Map<string, Set<string>>()
  #size = 0
  #rebuildAt = smallest

  constructor(bucketOf: (key: string) => string) {
    this.#bucketOf = bucketOf
  }

  /** How many keys it names. */
  get size(): number {
    return this.#size
  }

  /** Whether it has grown enough to be rebuilt (`rebuild`). */
  get overgrown(): boolean {
    return this.#size >= this.#rebuildAt
  }

  add(key: string): void {
    let bucket: string
    try {
      bucket = this.#bucketOf(key)
    } catch {
      // A key the layout cannot place cannot be read or written either, so it never reaches L1.
      return
    }
    let keys = this.#keys.get(bucket)
    if (keys === undefined) {
      keys = new Set()
      this.#keys.set(bucket, keys)
    }
    if (keys.has(key)) return
    keys.add(key)
    this.#size++
  }

  /** The keys of `bucket`, which it forgets: the caller invalidates every one of them. */
  take(bucket: string): Iterable<string> {
    const keys = this.#keys.get(bucket)
    if (keys === undefined) return []
    this.#keys.delete(bucket)
    this.#size -= keys.size
    return keys
  }

  /** Starts over with exactly `keys` (what the cache holds and has on its way now). */
  rebuild(keys: Iterable<string>): void {
    this.clear()
    for (const key of keys) this.add(key)
    this.#rebuildAt = Math.max(smallest, 2 * this.#size)
  }

  clear(): void {
    this.#keys = new Map()
    this.#size = 0
  }
}
