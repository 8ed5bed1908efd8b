import { describe } from '../errors.js'

/** A duration written with a unit: `'500ms'`, `'10s'`, `'5m'`, `'3h'`, `'3d'`, `'2w'`, or compound `'1h30m'`. */
export type Duration = `${number}${DurationUnit}` | `${number}${DurationUnit}${string}`
type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w'

const unitMs: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

const wholeDuration = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/
const durationPart = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g

/**
 * Turns a duration into whole milliseconds: a non-negative integer is taken as milliseconds, a
 * string needs a unit (`'1.5s'`, `'1h30m'`). Anything else throws a `TypeError` quoting it.
 */
export function parseDuration(input: number | string): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input
    throw new TypeError(
      `Expected a duration in whole milliseconds (a non-negative integer), got ${describe(input)}`,
    )
  }
  if (typeof input !== 'string') {
    throw new TypeError(`Expected a duration (milliseconds or a string such as '5m'), got ${describe(input)}`)
  }
  const compact = input.replaceAll(' ', '')
  if (!wholeDuration.test(compact)) {
    throw new TypeError(
      `Expected a duration such as '500ms', '10s', '5m', '3h', '3d', '2w' or '1h30m', got ${describe(input)}`,
    )
  }
  let total = 0
  for (const [, amount, unit] of compact.matchAll(durationPart)) {
    total += Number(amount) * unitMs[unit as DurationUnit]
  }
  const ms = Math.round(total)
  if (!Number.isSafeInteger(ms)) throw new TypeError(`Duration ${describe(input)} is too long`)
  return ms
}
