import { describe } from '../errors.js'

/** An item of a Python tuple key, as `pythonTupleKey` takes it. */
export type PythonTupleItem = string | number | bigint | boolean | null

/**
 * The key Python writes for a tuple: `str(('complex', 1))` is `"('complex', 1)"`, which is what
 * redis_pubsub_dict stores after `<prefix>/` (`reddict[('complex', 1)]` lives at
 * `<prefix>/('complex', 1)`). Renders `items` as Python's `str(tuple)` does: strings as `repr`
 * quotes them (single quotes, or double quotes when the string holds a `'` and no `"`; backslash
 * escapes for the quote, `\\`, `\t`, `\n`, `\r` and the characters Python does not print, as
 * `\xhh`, `\uhhhh`, `\Uhhhhhhhh`), `true`/`false` as `True`/`False`, `null` as `None`, a safe
 * integer or a bigint as a Python int, any other number as Python's float `repr` (`0.5`, `1e-05`,
 * `1e+16`, `inf`, `nan`, `-0.0`), and a one-item tuple as `(x,)`. A JavaScript number cannot say
 * whether it was a Python float: a float key item with an integral value up to 2**53 (`1.0`) has no
 * rendering here (it renders as the int `1`); give a bigint for an int past 2**53. Which
 * characters Python prints follows the Unicode tables of the Node.js build (Python 3.11 and Node 20
 * agree but for characters assigned in one Unicode version and not the other). Anything else (a
 * nested array, bytes, an object) is a `TypeError`. See docs/python/pubsubdict.md.
 */
export function pythonTupleKey(items: readonly PythonTupleItem[]): string {
  if (!Array.isArray(items)) {
    throw new TypeError(`Expected pythonTupleKey() to get an array of items, got ${describe(items)}`)
  }
  const rendered = items.map((item: unknown, index) => renderItem(item, index))
  return rendered.length === 1 ? `(${rendered[0]},)` : `(${rendered.join(', ')})`
}

function renderItem(item: unknown, index: number): string {
  if (typeof item === 'string') return pythonStringRepr(item)
  if (typeof item === 'boolean') return item ? 'True' : 'False'
  if (item === null) return 'None'
  if (typeof item === 'bigint') return item.toString()
  if (typeof item === 'number') return pythonNumberRepr(item)
  throw new TypeError(
    `Expected pythonTupleKey()'s items to be strings, numbers, bigints, booleans or null, got ${describe(item)} at index ${index}`,
  )
}

/** A number as Python writes it: an int when integral, else the `repr` of a float. */
function pythonNumberRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan'
  if (value === Number.POSITIVE_INFINITY) return 'inf'
  if (value === Number.NEGATIVE_INFINITY) return '-inf'
  if (Object.is(value, -0)) return '-0.0'
  if (Number.isSafeInteger(value)) return String(value)
  // The shortest digits that round-trip, which both languages pick alike; only the layout differs:
  // Python writes an exponent when the decimal point is more than 16 places right or 4 left.
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e')
  const digits = mantissa.replace('.', '')
  const exponent = Number(exponentText)
  const sign = value < 0 ? '-' : ''
  const point = exponent + 1
  if (point > 16 || point < -3) {
    const fraction = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits
    const magnitude = String(Math.abs(exponent)).padStart(2, '0')
    return `${sign}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`
  }
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}.0`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** Characters Python's `str.isprintable()` refuses: Unicode's Other (C*) and Separator (Z*) categories. */
const unprintable = /^[\p{C}\p{Z}]$/u

/** A string as Python's `repr` writes it. */
function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const char of text) {
    const code = char.codePointAt(0) as number
    if (char === quote || char === '\\') out += `\\${char}`
    else if (char === '\t') out += '\\t'
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`
    else if (code < 0x7f || char === ' ') out += char
    else if (!unprintable.test(char)) out += char
    else if (code <= 0xff) out += `\\x${hex(code, 2)}`
    else if (code <= 0xffff) out += `\\u${hex(code, 4)}`
    else out += `\\U${hex(code, 8)}`
  }
  return out + quote
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0')
}
