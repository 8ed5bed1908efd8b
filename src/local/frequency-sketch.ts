/**
 * How often each key was seen lately, approximately: a count-min sketch of 4-bit counters (two to
 * a byte), four per key, at indexes derived from the key's hash. A key's estimate is the least of
 * its four counters (collisions only ever add). After `10 × capacity` additions every counter is
 * halved, so that what was hot long ago fades.
 */
export class FrequencySketch {
  readonly #table: Uint8Array
  /** Counters - 1 (a power of two minus one). */
  readonly #mask: number
  readonly #sampleSize: number
  #additions = 0

  /** `capacity`: the entries the cache holds; the sketch keeps 8 counters per entry (4 bytes). */
  constructor(capacity: number) {
    let counters = 64
    while (counters < capacity * 8) counters *= 2
    this.#table = new Uint8Array(counters / 2)
    this.#mask = counters - 1
    this.#sampleSize = Math.max(10 * capacity, 16)
  }

  /** How many additions since the last halving (for tests). */
  get additions(): number {
    return this.#additions
  }

  /** Counts one sighting of the key hashed to `hash`. */
  increment(hash: number): void {
    const table = this.#table
    const mask = this.#mask
    // Double hashing: an odd step over a power-of-two table reaches four different counters.
    const step = (Math.imul(hash, 0x9e3779b1) >>> 16) | 1
    let counter = hash
    let added = false
    for (let round = 0; round < 4; round++) {
      const index = counter & mask
      const shift = (index & 1) << 2
      const at = index >>> 1
      const byte = table[at] as number
      if (((byte >>> shift) & 15) < 15) {
        table[at] = byte + (1 << shift)
        added = true
      }
      counter += step
    }
    if (added && ++this.#additions >= this.#sampleSize) this.#age()
  }

  /** The estimated count of the key hashed to `hash` (0 to 15). */
  frequency(hash: number): number {
    const table = this.#table
    const mask = this.#mask
    const step = (Math.imul(hash, 0x9e3779b1) >>> 16) | 1
    let counter = hash
    let least = 15
    for (let round = 0; round < 4; round++) {
      const index = counter & mask
      const count = ((table[index >>> 1] as number) >>> ((index & 1) << 2)) & 15
      if (count < least) least = count
      counter += step
    }
    return least
  }

  /** Halves every counter (both nibbles of each byte at once). */
  #age(): void {
    const table = this.#table
    for (let at = 0; at < table.length; at++) table[at] = ((table[at] as number) >>> 1) & 0x77
    this.#additions = this.#additions >>> 1
  }

  clear(): void {
    this.#table.fill(0)
    this.#additions = 0
  }
}
