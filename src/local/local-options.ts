import { describe } from '../errors.js'
import type { Duration } from '../expire/duration.js'
import { sizeOption } from '../option-checks.js'
import { type LocalPolicyName, localPolicyNames } from './local-policy.js'

/** The most entries L1 may hold: a JavaScript Map throws past 2^24. */
const maxLocalEntries = 2 ** 24

/** L1's eviction policy unless `localPolicy` says otherwise (see `localPolicy` in cache-options.ts for why). */
const defaultLocalPolicy: LocalPolicyName = 'tinylfu'

/** The cache options of L1 (part of `FlipCacheOptions`). */
export interface LocalOptions {
  /**
   * Most entries kept decoded in process memory (L1); `0` turns L1 off; at most 2^24 (16,777,216),
   * the most a JavaScript Map holds. @default 1000
   */
  localMax?: number
  /**
   * Most bytes of encoded values kept in L1 (the length of what Redis holds for each entry, as read
   * or written), next to `localMax`: L1 drops entries in its policy's order until both bounds hold,
   * and does not keep a value longer than this at all (it is still read from Redis). A positive
   * integer. @default no bound (entries are bounded by `localMax` alone)
   */
  localMaxBytes?: number
  /**
   * Which entries L1 drops when it is full. `'lru'`: the least recently used. `'tinylfu'`
   * (W-TinyLFU): a new key passes a small LRU window (1% of L1) and then replaces the least
   * valuable kept entry only if a frequency sketch has seen it more often; hot keys survive scans
   * and one-off keys. `'s3fifo'` (S3-FIFO): a small FIFO for new keys, a main FIFO for keys hit
   * again, and a ghost list of keys recently let go; a hit costs a counter bump.
   * Default by measurement (`npm run bench -- --only hit-ratio`, docs/l1-policy.md): TinyLFU beat
   * LRU on every trace (+6.0 points of hit ratio at an L1 of 1% of the keys on Zipf 1.0, +19.2 on a
   * Zipf trace mixed with a loop at 10%) and matched S3-FIFO on Zipf, with L1 hits at 0.97x the rate
   * of 'lru' hits (same run). @default 'tinylfu'
   */
  localPolicy?: LocalPolicyName
  /** Longest an L1 copy is served without going back to Redis: ms or a duration. @default expireTime, or 60 s when there is none */
  localTtl?: number | Duration
}

/** How L1 is bounded and what it drops first, validated. */
export interface LocalBounds {
  localMax: number
  localMaxBytes: number
  localPolicy: LocalPolicyName
}

/** The options that bound L1 (`localMax`, `localMaxBytes`, `localPolicy`), each bad value a `TypeError` that quotes it. */
export function resolveLocalBounds(options: {
  localMax?: unknown
  localMaxBytes?: unknown
  localPolicy?: unknown
}): LocalBounds {
  const localMax = options.localMax === undefined ? 1000 : options.localMax
  if (typeof localMax !== 'number' || !Number.isSafeInteger(localMax) || localMax < 0) {
    throw new TypeError(`Expected \`localMax\` to be a non-negative integer, got ${describe(localMax)}`)
  }
  if (localMax > maxLocalEntries) {
    throw new TypeError(
      `Expected \`localMax\` to be at most ${maxLocalEntries} (2^24, the most entries a JavaScript Map holds: L1 would throw past it), got ${describe(localMax)}`,
    )
  }
  return {
    localMax,
    localMaxBytes: sizeOption(
      'localMaxBytes',
      options.localMaxBytes,
      Number.POSITIVE_INFINITY,
      Number.MAX_SAFE_INTEGER,
    ),
    localPolicy: resolveLocalPolicy(options.localPolicy),
  }
}

/** The L1 eviction policy, one of `localPolicyNames`. */
function resolveLocalPolicy(policy: unknown): LocalPolicyName {
  if (policy === undefined) return defaultLocalPolicy
  if (!localPolicyNames.includes(policy as LocalPolicyName)) {
    throw new TypeError(
      `Expected \`localPolicy\` to be one of ${localPolicyNames.map((name) => `'${name}'`).join(', ')}, got ${describe(policy)}`,
    )
  }
  return policy as LocalPolicyName
}
