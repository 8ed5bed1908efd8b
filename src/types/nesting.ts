/**
 * The deepest nesting of arrays and objects (Maps, Sets, Errors' causes) a `json`, `superjson` or
 * `msgpack` value, or a `json` key, may have: 512, like PHP's `json_decode`. Deeper values are
 * refused on write (a `TypeError`) and are an `E_DECODE` miss on read. `JSON.parse` reads a
 * million levels happily, but the value it returns then breaks code that walks it recursively
 * (`JSON.stringify`, superjson, structuredClone) with a RangeError far from the cache.
 */
export const maxNestingDepth = 512

const quote = 0x22
const backslash = 0x5c
const openBracket = 0x5b
const closeBracket = 0x5d
const openBrace = 0x7b
const closeBrace = 0x7d

/**
 * Whether JSON `text` nests arrays and objects more than `limit` deep, in one pass over it (brackets
 * inside strings do not count). Text nested `d` deep holds at least `2d` characters, so shorter text
 * is not even scanned. The text need not be valid JSON: the parser that reads it next decides that.
 * It costs about a fifth of what `JSON.parse` of the same text costs.
 */
export function jsonNestsDeeper(text: string, limit = maxNestingDepth): boolean {
  if (text.length <= 2 * limit) return false
  let depth = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code === quote) {
      // To the string's end: its first quote after an even run of backslashes. Each run belongs to
      // the one quote after it, so looking back stays linear overall.
      for (;;) {
        index = text.indexOf('"', index + 1)
        if (index < 0) return false
        if (text.charCodeAt(index - 1) !== backslash) break
        let before = index - 2
        while (text.charCodeAt(before) === backslash) before--
        if ((index - 1 - before) % 2 === 0) break
      }
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
 * input, as MessagePack's do, cannot make more containers than it reads bytes unless the value
 * shares objects, so with the input length as budget the walk stays linear in the input even then
 * (and ends on a cycle, whose depth has no end).
 */
export function valueNestsDeeper(value: unknown, limit: number, budget: number): boolean {
  if (!isContainer(value)) return false
  const stack: unknown[] = [value]
  const depths: number[] = [1]
  let visited = 0
  while (stack.length > 0) {
    const item = stack.pop()
    const depth = depths.pop() as number
    if (depth > limit || ++visited > budget) return true
    const push = (child: unknown): void => {
      if (!isContainer(child)) return
      stack.push(child)
      depths.push(depth + 1)
    }
    if (Array.isArray(item) || item instanceof Set) for (const child of item) push(child)
    else if (item instanceof Map) {
      for (const [key, child] of item) {
        push(key)
        push(child)
      }
    } else if (item instanceof Error) push(item.cause)
    else for (const child of Object.values(item as object)) push(child)
  }
  return false
}

/** Arrays, plain objects (and records), Maps, Sets and Errors; Dates, RegExps, typed arrays and Buffers are leaves. */
function isContainer(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false
  if (Array.isArray(value) || value instanceof Map || value instanceof Set || value instanceof Error)
    return true
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
