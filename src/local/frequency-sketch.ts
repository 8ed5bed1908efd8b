/**
 * How often keys no longer held were seen, approximately: a count-min sketch of 4-bit counters (one
 * to a byte, capped at 15), four per key at indexes derived from the key's hash (double hashing over
 * a power-of-two table of about 8 counters per entry). A key's estimate is the least of its four
 * counters (collisions only ever add). Keys held count their sightings on their own entry; the
 * sketch hears a key's count when it leaves (`record`), and `halve` ages every counter.
 *
 * The table is sized for the entries held, not for the bound: it starts small and `grow` doubles
 * it (forgetting the counts, as a new table) as the cache fills, so that a large `localMax` costs
 * no memory up front.
 */
export class FrequencySketch {
  #table = new Uint8Array(0)
  /** Counters - 1 (a power of two minus one). */
  #mask = 0
  /** The entries the table is sized for. */
  #capacity = 0
  readonly #maxCapacity: number

  /** `maxCapacity`: the most entries the cache holds; the table starts sized for `initialCapacity` of them. */
  constructor(maxCapacity: number, initialCapacity = maxCapacity) {
    this.#maxCapacity = maxCapacity
    this.#resize(Math.min(maxCapacity, initialCapacity))
  }

  /** The entries the table is sized for now. */
  get capacity(): number {
    return this.#capacity
  }

  /** Makes the table fit `entries` held (doubling it, up to the cache's bound), when they outgrow it; whether it grew. */
  grow(entries: number): boolean {
    if (entries <= this.#capacity || this.#capacity >= this.#maxCapacity) return false
    this.#resize(Math.min(this.#maxCapacity, Math.max(entries, this.#capacity * 2)))
    return true
  }

  #resize(capacity: number): void {
    let counters = 64
    while (counters < capacity * 8) counters *= 2
    this.#table = new Uint8Array(counters)
    this.#mask = counters - 1
    this.#capacity = capacity
  }

  /**
   * The key hashed to `hash` (a 32-bit unsigned hash) was seen `count` times (0 to 15): each of its
   * counters below that is raised to it (a conservative update: collisions inflate estimates less).
   */
  record(hash: number, count: number): void {
    const table = this.#table
    const mask = this.#mask
    // An odd step over a power-of-two table reaches four different counters.
    const step = (hash >>> 16) | 1
    for (let round = 0, index = hash; round < 4; round++, index += step) {
      const at = index & mask
      if ((table[at] as number) < count) table[at] = count
    }
  }

  /** The estimated count of the key hashed to `hash` (0 to 15). */
  frequency(hash: number): number {
    const table = this.#table
    const mask = this.#mask
    const step = (hash >>> 16) | 1
    return Math.min(
      table[hash & mask] as number,
      table[(hash + step) & mask] as number,
      table[(hash + 2 * step) & mask] as number,
      table[(hash + 3 * step) & mask] as number,
    )
  }

  /** Halves every counter, so that what was seen long ago fades. */
  halve(): void {
    const table = this.#table
    for (let at = 0; at < table.length; at++) table[at] = (table[at] as number) >>> 1
  }

  clear(): void {
    this.#table.fill(0)
  }
}
