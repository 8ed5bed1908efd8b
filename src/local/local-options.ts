import { describe } from '../errors.js'
import { sizeOption } from '../option-checks.js'
import { type LocalPolicyName, localPolicyNames } from './local-policy.js'

/** The most entries L1 may hold: a JavaScript Map throws past 2^24. */
const maxLocalEntries = 2 ** 24

/** L1's eviction policy unless `localPolicy` says otherwise (see `localPolicy` in cache-options.ts for why). */
const defaultLocalPolicy: LocalPolicyName = 'tinylfu'

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
