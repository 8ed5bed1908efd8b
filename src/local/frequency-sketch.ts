/**
 * How often each key was seen lately, approximately: a count-min sketch of 4-bit counters (one to
 * a byte, capped at 15), four per key at indexes derived from the key's hash (double hashing over
 * a power-of-two table of about 8 counters per entry). A key's estimate is the least of its four
 * counters; a sighting raises only those of its counters that equal that least value (conservative
 * update: collisions inflate the estimates less). After `10 × capacity` sightings every counter is
 * halved, so that what was hot long ago fades.
 *
 * The table is sized for the entries held, not for the bound: it starts small and `grow` doubles
 * it (forgetting the counts, as a new table) as the cache fills, so that a large `localMax` costs
 * no memory up front.
 */
export class FrequencySketch {
  #table = new Uint8Array(0)
  /** Counters - 1 (a power of two minus one). */
  #mask = 0
  #sampleSize = 0
  #additions = 0
  /** The entries the table is sized for. */
  #capacity = 0
  readonly #maxCapacity: number

  /** `maxCapacity`: the most entries the cache holds; the table starts sized for `initialCapacity` of them. */
  constructor(maxCapacity: number, initialCapacity = maxCapacity) {
    this.#maxCapacity = maxCapacity
    this.#resize(Math.min(maxCapacity, initialCapacity))
  }

  /** The entries the table is sized for now (for tests). */
  get capacity(): number {
    return this.#capacity
  }

  /** Makes the table fit `entries` held (doubling it, up to the cache's bound), when they outgrow it. */
  grow(entries: number): void {
    if (entries <= this.#capacity || this.#capacity >= this.#maxCapacity) return
    this.#resize(Math.min(this.#maxCapacity, Math.max(entries, this.#capacity * 2)))
  }

  #resize(capacity: number): void {
    let counters = 64
    while (counters < capacity * 8) counters *= 2
    this.#table = new Uint8Array(counters)
    this.#mask = counters - 1
    this.#sampleSize = Math.max(10 * capacity, 16)
    this.#additions = 0
    this.#capacity = capacity
  }

  /** Sightings counted since the last halving (for tests). */
  get additions(): number {
    return this.#additions
  }

  /** Counts one sighting of the key hashed to `hash` (a 32-bit unsigned hash). */
  increment(hash: number): void {
    const table = this.#table
    const mask = this.#mask
    // An odd step over a power-of-two table reaches four different counters.
    const step = (hash >>> 16) | 1
    const first = hash & mask
    const second = (hash + step) & mask
    const third = (hash + 2 * step) & mask
    const fourth = (hash + 3 * step) & mask
    const a = table[first] as number
    const b = table[second] as number
    const c = table[third] as number
    const d = table[fourth] as number
    const least = Math.min(a, b, c, d)
    if (least === 15) return
    if (a === least) table[first] = least + 1
    if (b === least) table[second] = least + 1
    if (c === least) table[third] = least + 1
    if (d === least) table[fourth] = least + 1
    if (++this.#additions >= this.#sampleSize) this.#age()
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

  /** Halves every counter. */
  #age(): void {
    const table = this.#table
    for (let at = 0; at < table.length; at++) table[at] = (table[at] as number) >>> 1
    this.#additions = this.#additions >>> 1
  }

  clear(): void {
    this.#table.fill(0)
    this.#additions = 0
  }
}
