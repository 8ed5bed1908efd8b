/**
 * The deepest nesting of arrays and objects (Maps, Sets, Errors' causes) a `json`, `superjson` or
 * `msgpack` value, or a `json` key, may have: 512, like PHP's `json_decode`. Deeper values are
 * refused on write (a `TypeError`) and are an `E_DECODE` miss on read. `JSON.parse` reads a
 * million levels happily, but the value it returns then breaks code that walks it recursively
 * (`JSON.stringify`, superjson, structuredClone) with a RangeError far from the cache.
 */
export const maxNestingDepth = 512

/** The characters of JSON text that the scans of it look for. */
export const quote = 0x22
export const backslash = 0x5c
export const openBracket = 0x5b
export const closeBracket = 0x5d
export const openBrace = 0x7b
export const closeBrace = 0x7d

/** The index of the quote that ends the JSON string opened at `open`, or -1 when the text ends first. */
export function stringEnd(text: string, open: number): number {
  let index = open
  for (;;) {
    index = text.indexOf('"', index + 1)
    if (index < 0) return -1
    // The quote ends the string when an even run of backslashes precedes it. Each run belongs to
    // the one quote after it, so looking back stays linear overall.
    let before = index - 1
    while (text.charCodeAt(before) === backslash) before--
    if ((index - 1 - before) % 2 === 0) return index
  }
}

/**
 * Whether JSON `text` nests arrays and objects more than `limit` deep, in one pass over it (brackets
 * inside strings do not count). Text nested `d` deep holds at least `2d` characters, so shorter text
 * is not even scanned. The text need not be valid JSON. Used on write, where the text is exact
 * (`JSON.stringify` turns some objects into strings, others into objects): it costs a third to a half
 * of what `JSON.parse` of the text would.
 */
export function jsonNestsDeeper(text: string, limit = maxNestingDepth): boolean {
  if (text.length <= 2 * limit) return false
  let depth = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === quote) {
      index = stringEnd(text, index)
      if (index < 0) return false
    } else if (code === openBracket || code === openBrace) {
      if (++depth > limit) return true
    } else if (code === closeBracket || code === closeBrace) depth--
  }
  return false
}

/**
 * Whether a decoded value nests arrays, objects, Maps, Sets and Errors' causes more than `limit`
 * deep, or holds more than `budget` of them: a walk with a stack of its own (no recursion), that
 * gives up once the budget is spent. A decoder whose every container costs at least one byte of
 * input, as JSON's and MessagePack's do, cannot make more containers than it reads bytes unless the
 * value shares objects, so with the input length as budget the walk stays linear in the input even
 * then (and ends on a cycle, whose depth has no end). It visits each value once, so it costs far less
 * than the parse that made them: about a tenth of `JSON.parse`'s time on records, less on text.
 */
export function valueNestsDeeper(value: unknown, limit: number, budget: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  const stack: object[] = [value]
  const depths: number[] = [1]
  let visited = 0
  while (stack.length > 0) {
    const item = stack.pop() as object
    const depth = depths.pop() as number
    const kind = containerKind(item)
    if (kind === leaf) continue
    if (depth > limit || ++visited > budget) return true
    const below = depth + 1
    // Only objects are pushed: scalars, most of what a value holds, cost one check each.
    if (kind === list) {
      const items = item as unknown[]
      for (let index = 0; index < items.length; index++) {
        const child = items[index]
        if (typeof child === 'object' && child !== null) {
          stack.push(child)
          depths.push(below)
        }
      }
    } else if (kind === record) {
      const fields = item as Record<string, unknown>
      for (const field in fields) {
        const child = fields[field]
        if (typeof child === 'object' && child !== null) {
          stack.push(child)
          depths.push(below)
        }
      }
    } else {
      for (const child of childrenOf(item)) {
        if (typeof child === 'object' && child !== null) {
          stack.push(child)
          depths.push(below)
        }
      }
    }
  }
  return false
}

const leaf = 0
const list = 1
const record = 2
const other = 3

/**
 * Arrays, objects, Maps, Sets and Errors hold values. Dates, RegExps, binary data and boxed
 * primitives are leaves; any other object is walked through its own enumerable fields, as msgpackr
 * writes it.
 */
function containerKind(item: object): number {
  const proto = Object.getPrototypeOf(item)
  if (proto === Array.prototype) return list
  if (proto === Object.prototype || proto === null) return record
  if (item instanceof Map || item instanceof Set || item instanceof Error) return other
  if (Array.isArray(item)) return list
  if (
    item instanceof Date ||
    item instanceof RegExp ||
    ArrayBuffer.isView(item) ||
    item instanceof ArrayBuffer ||
    item instanceof String ||
    item instanceof Number ||
    item instanceof Boolean
  ) {
    return leaf
  }
  return record
}

/** What a Map (its keys and values), a Set or an Error (its cause) holds. */
function childrenOf(item: object): unknown[] {
  if (item instanceof Map) return [...item].flat()
  if (item instanceof Set) return [...item]
  return [(item as Error).cause]
}
