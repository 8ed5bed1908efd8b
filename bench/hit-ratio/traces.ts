import { seededRandom } from '../../test/support/seeded-random.js'

/** A sequence of key reads, by key number, replayed against each policy alike. */
export interface Trace {
  name: string
  /** What it models, for the report. */
  description: string
  keys: Uint32Array
}

/**
 * `accesses` reads of `keyCount` keys whose popularity follows Zipf's law with exponent `s`
 * (key `i` is read in proportion to 1 / (i + 1)^s), drawn from a seeded generator.
 */
export function zipfTrace(s: number, keyCount: number, accesses: number, seed: number): Trace {
  const cumulative = zipfCumulative(s, keyCount)
  const random = seededRandom(seed)
  const keys = new Uint32Array(accesses)
  for (let index = 0; index < accesses; index++) keys[index] = draw(cumulative, random())
  return {
    name: `zipf ${s.toFixed(1)}`,
    description: `Zipf s = ${s.toFixed(1)} over ${keyCount} keys`,
    keys,
  }
}

/**
 * Half the reads Zipf (s = 1.0) over `keyCount` keys, half a loop, in order, over `loopCount` other
 * keys (more than an L1 holds): a periodic scan that an LRU lets push the hot keys out.
 */
export function loopTrace(keyCount: number, loopCount: number, accesses: number, seed: number): Trace {
  const cumulative = zipfCumulative(1, keyCount)
  const random = seededRandom(seed)
  const keys = new Uint32Array(accesses)
  let next = 0
  for (let index = 0; index < accesses; index++) {
    if (random() < 0.5) {
      keys[index] = draw(cumulative, random())
    } else {
      keys[index] = keyCount + next
      next = (next + 1) % loopCount
    }
  }
  return {
    name: 'zipf 1.0 + loop',
    description: `half Zipf s = 1.0 over ${keyCount} keys, half a loop over ${loopCount} other keys`,
    keys,
  }
}

/** The cumulative Zipf weights of `keyCount` keys, normalized to end at 1. */
function zipfCumulative(s: number, keyCount: number): Float64Array {
  const cumulative = new Float64Array(keyCount)
  let total = 0
  for (let rank = 0; rank < keyCount; rank++) {
    total += 1 / (rank + 1) ** s
    cumulative[rank] = total
  }
  for (let rank = 0; rank < keyCount; rank++) cumulative[rank] = (cumulative[rank] as number) / total
  return cumulative
}

/** The first rank whose cumulative weight reaches `uniform` (a binary search). */
function draw(cumulative: Float64Array, uniform: number): number {
  let low = 0
  let high = cumulative.length - 1
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((cumulative[middle] as number) < uniform) low = middle + 1
    else high = middle
  }
  return low
}
