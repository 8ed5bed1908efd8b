/**
 * How often each key was seen lately, approximately: a count-min sketch of 4-bit counters (one to
 * a byte, capped at 15), four per key at indexes derived from the key's hash (double hashing over
 * a power-of-two table of about 8 counters per entry). A key's estimate is the least of its four
 * counters; a sighting raises only those of its counters that equal that least value (conservative
 * update: collisions inflate the estimates less). After `10 × capacity` sightings every counter is
 * halved, so that what was hot long ago fades.
 */
export class FrequencySketch {
  readonly #table: Uint8Array
  /** Counters - 1 (a power of two minus one). */
  readonly #mask: number
  readonly #sampleSize: number
  #additions = 0

  /** `capacity`: the entries the cache holds. */
  constructor(capacity: number) {
    let counters = 64
    while (counters < capacity * 8) counters *= 2
    this.#table = new Uint8Array(counters)
    this.#mask = counters - 1
    this.#sampleSize = Math.max(10 * capacity, 16)
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
