import { describe } from '../errors.js'
import { type Duration, parseDuration } from './duration.js'

/** An expiry: milliseconds, a duration such as `'3d'` or an `expire.*` preset; `null` for none. */
export type ExpireTime = number | Duration | null

/** A positive duration in ms, for an option called `option`. */
export function positiveDuration(option: string, value: unknown, hint = ''): number {
  let ms: number
  try {
    ms = parseDuration(value as number | string)
  } catch (error) {
    throw new TypeError(`Invalid \`${option}\`: ${(error as Error).message}`)
  }
  if (ms <= 0)
    throw new TypeError(`Expected \`${option}\` to be more than 0 ms${hint}, got ${describe(value)}`)
  return ms
}

/** The longest expiry accepted: 100 years (use `null` for none). */
export const longestExpireMs = 100 * 365 * 86_400_000

/** Parses an `expireTime` (option or per call): `null` for no expiry, else positive ms, at most 100 years. */
export function parseExpireTime(value: unknown, option = 'expireTime'): number | null {
  if (value === null) return null
  const ms = positiveDuration(option, value, ' (null means no expiry)')
  if (ms > longestExpireMs) {
    throw new TypeError(
      `Expected \`${option}\` to be at most 100 years (null means no expiry), got ${describe(value)}`,
    )
  }
  return ms
}

/** A duration in ms that may be 0, for an option called `option`. */
export function nonNegativeDuration(option: string, value: unknown): number {
  if (value === 0) return 0
  return positiveDuration(option, value)
}
