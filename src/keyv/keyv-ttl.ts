import type { SetOptions } from '../flipcache-types.js'

/**
 * The set() options for a Keyv `ttl` in ms: `undefined` (no ttl from Keyv) is the cache's own
 * `expireTime`; a fraction of a ms is rounded up (flipcache expires in whole ms); `'expired'` for a
 * ttl of 0 ms or less, which Keyv 5 passes on as it is (the entry is then deleted, not written).
 */
export function setOptionsOfTtl(ttl: unknown): SetOptions | undefined | 'expired' {
  if (ttl === undefined || ttl === null) return undefined
  if (typeof ttl !== 'number' || Number.isNaN(ttl)) {
    throw new TypeError(
      `Expected a Keyv ttl in milliseconds (a number or undefined), got ${String(ttl)} (${typeof ttl})`,
    )
  }
  if (ttl <= 0) return 'expired'
  // A ttl past 100 years, or Infinity, is refused by flipcache's own check (a TypeError naming it).
  return { expireTime: Number.isFinite(ttl) ? Math.ceil(ttl) : ttl }
}
