/**
 * Python's `json.dumps` writes the non-finite floats as the bare tokens `NaN`, `Infinity` and
 * `-Infinity` (its default `allow_nan=True`), which `JSON.parse` refuses. {@link parseNonFinite}
 * reads them as the numbers, where Python's `json.loads` would: as whole values, outside strings.
 * It is meant for text `JSON.parse` has already refused, so plain JSON never pays for it.
 *
 * It rewrites the text into JSON and parses that: `Infinity` becomes `1e999` and `-Infinity`
 * `-1e999`, which `JSON.parse` reads as the infinities; `NaN` becomes a number the text does not
 * hold anywhere else, put back as NaN after the parse: the smallest subnormal, `5e-324` (hardly any
 * data holds it), and should the text hold that too, `1e-323`, `1.5e-323`... Both are number
 * tokens, valid exactly where Python accepts its own (as values, never as object keys), so the
 * rewritten text is JSON exactly when the original is Python's JSON. One pass over the text, one
 * parse and one walk of the value (two of each when the text holds `5e-324`): linear in the text,
 * whatever it holds.
 */

import {
  closeBrace,
  closeBracket,
  maxNestingDepth,
  openBrace,
  openBracket,
  quote,
  stringEnd,
} from './nesting.js'

const minus = 0x2d

/** Whether `token` stands at `index` as a whole value: delimiters (or the text's ends) on both sides. */
function isToken(text: string, index: number, token: string): boolean {
  return (
    text.startsWith(token, index) &&
    isDelimiter(text, index - 1, false) &&
    isDelimiter(text, index + token.length, true)
  )
}

/** Whether the character at `index` may stand before a value (`after`: after one) in JSON. */
function isDelimiter(text: string, index: number, after: boolean): boolean {
  if (index < 0 || index >= text.length) return true
  switch (text.charCodeAt(index)) {
    case 0x20: // space
    case 0x09: // tab
    case 0x0a: // line feed
    case 0x0d: // carriage return
    case 0x2c: // ,
      return true
    case 0x5b: // [
    case 0x3a: // :
      return !after
    case 0x5d: // ]
    case 0x7d: // }
      return after
    default:
      return false
  }
}

/**
 * `text` read as Python's `json.loads` reads it, for text that `JSON.parse` refused with `failure`:
 * the value, or `failure` thrown again when the text holds no `NaN`, `Infinity` or `-Infinity`
 * token or is not JSON even with them. The value is what `JSON.parse` makes of the rewritten text,
 * passed to `check` (the nesting check) before NaN is put back.
 */
export function parseNonFinite(text: string, failure: unknown, check: (parsed: unknown) => void): unknown {
  /** The text as JSON, cut where it has a NaN token, whose stand-in is chosen after the scan. */
  const cuts: string[] = []
  let rewritten = ''
  let copied = 0
  const replace = (start: number, length: number, by: string | undefined): number => {
    rewritten += text.slice(copied, start)
    if (by === undefined) {
      cuts.push(rewritten)
      rewritten = ''
    } else rewritten += by
    copied = start + length
    return copied
  }
  // Deeper text is refused without parsing it: it is either not JSON or nested too deep.
  let depth = 0
  let index = 0
  while (index < text.length) {
    const code = text.charCodeAt(index)
    if (code === openBracket || code === openBrace) {
      if (++depth > maxNestingDepth)
        throw new TypeError(`Stored JSON nests deeper than ${maxNestingDepth} levels`)
      index++
    } else if (code === closeBracket || code === closeBrace) {
      depth--
      index++
    } else if (code === quote) {
      const end = stringEnd(text, index)
      if (end < 0) break
      index = end + 1
    } else if (code === 0x4e /* N */ && isToken(text, index, 'NaN')) {
      index = replace(index, 3, undefined)
    } else if (code === 0x49 /* I */ && isToken(text, index, 'Infinity')) {
      index = replace(index, 8, '1e999')
    } else if (code === minus && isToken(text, index, '-Infinity')) {
      index = replace(index, 9, '-1e999')
    } else index++
  }
  if (copied === 0) throw failure
  const nans = cuts.length
  cuts.push(rewritten + text.slice(copied))

  let standIn = Number.MIN_VALUE
  let parsed = parseOr(failure, cuts.join(String(standIn)))
  check(parsed)
  if (nans === 0) return parsed
  let restored = restoreNaN(parsed, standIn, nans)
  if (restored === undefined) {
    // The text holds the stand-in itself (in any spelling): NaN gets a number it does not hold.
    const held = numbersIn(parsed)
    do standIn += Number.MIN_VALUE
    while (held.has(standIn))
    parsed = parseOr(failure, cuts.join(String(standIn)))
    restored = restoreNaN(parsed, standIn, nans)
  }
  return restored?.value
}

function parseOr(failure: unknown, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw failure
  }
}

/**
 * Calls `visit` with each array and plain object in `parsed` (what `JSON.parse` makes, nesting
 * already checked), with a stack of its own.
 */
function forEachContainer(
  parsed: unknown,
  visit: (container: Record<string, unknown> | unknown[]) => void,
): void {
  if (typeof parsed !== 'object' || parsed === null) return
  const stack: object[] = [parsed]
  while (stack.length > 0) {
    const item = stack.pop() as Record<string, unknown> | unknown[]
    visit(item)
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push(child)
    }
  }
}

/**
 * `parsed` with each `standIn` number made NaN again, or undefined when it holds other than
 * `expected` of them (the text held the stand-in too: `parsed` is then spoiled).
 */
function restoreNaN(parsed: unknown, standIn: number, expected: number): { value: unknown } | undefined {
  if (parsed === standIn) return expected === 1 ? { value: Number.NaN } : undefined
  let restored = 0
  forEachContainer(parsed, (item) => {
    if (Array.isArray(item)) {
      for (let at = 0; at < item.length; at++) {
        if (item[at] !== standIn) continue
        item[at] = Number.NaN
        restored++
      }
      return
    }
    // Own fields only, as JSON.parse makes them; a `__proto__` field is one of them, and assigning
    // it writes that own field.
    for (const field of Object.keys(item)) {
      if (item[field] !== standIn) continue
      item[field] = Number.NaN
      restored++
    }
  })
  return restored === expected ? { value: parsed } : undefined
}

/** The numbers `parsed` holds. */
function numbersIn(parsed: unknown): Set<number> {
  const numbers = new Set<number>()
  if (typeof parsed === 'number') numbers.add(parsed)
  forEachContainer(parsed, (item) => {
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'number') numbers.add(child)
    }
  })
  return numbers
}
