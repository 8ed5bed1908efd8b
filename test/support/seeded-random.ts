/** A small seeded PRNG (mulberry32), so that a randomized test can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = state
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** The seed to use: FLIPCACHE_SEED when set (to replay a failure), else a fresh one. */
export function testSeed(): number {
  const given = process.env.FLIPCACHE_SEED
  return given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given)
}
