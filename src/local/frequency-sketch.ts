/** Counters per block: the four counters of a key lie in one 16-byte block (one cache line). */
const BLOCK = 16

/**
 * How often each key was seen lately, approximately: a count-min sketch of 4-bit counters (one
 * to a byte, capped at 15), four per key. A key's four counters lie in one block of 16, picked by
 * the high bits of a multiplicative hash; their places in the block come from the key's hash, so a
 * sighting touches one cache line. A key's estimate is the least of its four counters (collisions
 * only ever add). After `10 × capacity` sightings every counter is halved, so that what was hot
 * long ago fades. About 8 counters (bytes) per entry of capacity.
 */
export class FrequencySketch {
  readonly #table: Uint8Array
  /** 32 - log2(blocks): `>>> shift` keeps the bits that pick a block. */
  readonly #shift: number
  readonly #sampleSize: number
  #additions = 0

  /** `capacity`: the entries the cache holds. */
  constructor(capacity: number) {
    let blocks = 4
    let bits = 2
    while (blocks * BLOCK < capacity * 8) {
      blocks *= 2
      bits++
    }
    this.#table = new Uint8Array(blocks * BLOCK)
    this.#shift = 32 - bits
    this.#sampleSize = Math.max(10 * capacity, 16)
  }

  /** Sightings counted since the last halving (for tests). */
  get additions(): number {
    return this.#additions
  }

  /** Counts one sighting of the key hashed to `hash` (a 32-bit unsigned hash). */
  increment(hash: number): void {
    const table = this.#table
    const base = (Math.imul(hash, 0x9e3779b1) >>> this.#shift) << 4
    let at = base + (hash & 15)
    let count = table[at] as number
    if (count < 15) table[at] = count + 1
    at = base + ((hash >>> 4) & 15)
    count = table[at] as number
    if (count < 15) table[at] = count + 1
    at = base + ((hash >>> 8) & 15)
    count = table[at] as number
    if (count < 15) table[at] = count + 1
    at = base + ((hash >>> 12) & 15)
    count = table[at] as number
    if (count < 15) table[at] = count + 1
    if (++this.#additions >= this.#sampleSize) this.#age()
  }

  /** The estimated count of the key hashed to `hash` (0 to 15). */
  frequency(hash: number): number {
    const table = this.#table
    const base = (Math.imul(hash, 0x9e3779b1) >>> this.#shift) << 4
    return Math.min(
      table[base + (hash & 15)] as number,
      table[base + ((hash >>> 4) & 15)] as number,
      table[base + ((hash >>> 8) & 15)] as number,
      table[base + ((hash >>> 12) & 15)] as number,
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
