/** The LRANGE a range() sends, and how many of its values to drop from the end. */
export interface ListWindow {
  start: number
  stop: number
  /** Values of the reply past the window asked for (a `stop` counted from the oldest end). */
  dropLast: number
}

/**
 * The LRANGE that reads `range(start, stop)` of a list that holds at most `maxLength` values, and
 * never more than `maxLength` values of any list: a list made longer by something else (a hostile or
 * mistaken writer) costs a read no more than a trimmed one. On a list of at most `maxLength` values
 * the reply is exactly LRANGE `start` `stop`'s: a `stop` counted from the oldest end (negative) with
 * a `start` from the newest becomes a read up to the last index a trimmed list can have, less the
 * values past `stop` (dropped from the reply's end).
 */
export function listWindow(start: number, stop: number, maxLength: number): ListWindow {
  const last = maxLength - 1
  // Past -maxLength, a negative index of a trimmed list means the same as -maxLength (LRANGE clamps).
  const from = Math.max(start, -maxLength)
  if (stop >= 0) return { start: from, stop: Math.min(stop, last), dropLast: 0 }
  if (from < 0) return { start: from, stop: Math.max(stop, -maxLength - 1), dropLast: 0 }
  return { start: from, stop: last, dropLast: Math.min(-stop - 1, maxLength) }
}
