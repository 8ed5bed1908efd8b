/**
 * What makes msgpackr's output and input standard MessagePack, as other languages' libraries (Python's
 * `msgpack` among them) write and read it: integers are integers on the wire, and maps whose keys are
 * all strings are plain objects.
 */

const float64 = 0xcb
const uint64 = 0xcf
const int64 = 0xd3
const twoTo32 = 2 ** 32

/** The length of each token whose first byte is 0xc0 to 0xdf, or 0 where a length field follows it. */
const fixedLengths = [
  1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 5, 9, 2, 3, 5, 9, 2, 3, 5, 9, 3, 4, 6, 10, 18, 0, 0, 0, 3, 5, 3, 5,
]

/**
 * How many bytes the MessagePack token starting with `first` at `at` takes, its header and any
 * payload it carries (strings, binary, extension data) but not the items of an array or map, which
 * follow it as tokens of their own. So a value is a flat run of tokens, walked without recursion.
 */
function tokenLength(packed: Buffer, at: number, first: number): number {
  if (first < 0xa0 || first >= 0xe0) return 1 // fixints, fixmap and fixarray headers
  if (first < 0xc0) return 1 + (first & 0x1f) // fixstr
  const fixed = fixedLengths[first - 0xc0] as number
  if (fixed !== 0) return fixed
  switch (first) {
    case 0xc4: // bin 8
    case 0xd9: // str 8
      return 2 + (packed[at + 1] as number)
    case 0xc5: // bin 16
    case 0xda: // str 16
      return 3 + packed.readUInt16BE(at + 1)
    case 0xc6: // bin 32
    case 0xdb: // str 32
      return 5 + packed.readUInt32BE(at + 1)
    case 0xc7: // ext 8
      return 3 + (packed[at + 1] as number)
    case 0xc8: // ext 16
      return 4 + packed.readUInt16BE(at + 1)
    default: // ext 32
      return 6 + packed.readUInt32BE(at + 1)
  }
}

/**
 * Rewrites, in place, every float64 in msgpackr's output that holds a safe integer as the integer it
 * is: `uint64` (0xcf) when positive, `int64` (0xd3) when negative, as Python's msgpack writes them.
 * msgpackr writes integers up to 32 bits as integers and every other number as a float64, so without
 * this 2**40 would reach Python as `1099511627776.0`. Both forms take 9 bytes, so nothing moves. The
 * payloads of strings, binary and extensions are skipped, never read as tokens; a walk that does not
 * end exactly at the end of the data changes nothing.
 */
export function integersAsInts(packed: Buffer): Buffer {
  const found: number[] = []
  let at = 0
  while (at < packed.length) {
    const first = packed[at] as number
    if (first === float64 && at + 9 <= packed.length) {
      const value = packed.readDoubleBE(at + 1)
      if (Number.isSafeInteger(value)) found.push(at)
    }
    at += tokenLength(packed, at, first)
  }
  if (found.length === 0 || at !== packed.length) return packed
  for (const start of found) {
    const value = packed.readDoubleBE(start + 1)
    const high = Math.floor(value / twoTo32)
    packed[start] = value < 0 ? int64 : uint64
    packed.writeInt32BE(high, start + 1)
    packed.writeUInt32BE(value - high * twoTo32, start + 5)
  }
  return packed
}

/** The attributes of a field an assignment would make, for `defineProperty`. */
const ownField = { enumerable: true, writable: true, configurable: true }

/**
 * A decoded value with standard MessagePack's meaning: a Map whose keys are all strings (an empty one
 * too) becomes a plain object, and a BigInt that is a safe integer becomes a number (msgpackr reads
 * every int64 and uint64 as a BigInt). A key `__proto__` becomes an own property, never the object's
 * prototype. Other Maps stay Maps, their keys and values made standard too. Arrays and plain objects
 * (msgpackr records) are changed in place; Sets are rebuilt when an item changes. Dates, binary data,
 * RegExps and Errors are left as they are.
 *
 * Recursive: call it only on a value whose nesting is known to be bounded.
 */
export function standardValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value
  }
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) value[index] = standardValue(value[index])
    return value
  }
  if (value instanceof Map) return standardMap(value)
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype) {
    const fields = value as Record<string, unknown>
    for (const field of Object.keys(fields)) {
      const before = fields[field]
      if (typeof before !== 'object' && typeof before !== 'bigint') continue
      const after = standardValue(before)
      if (after !== before) Object.defineProperty(fields, field, { value: after, ...ownField })
    }
    return value
  }
  if (value instanceof Set) {
    const items = [...value]
    const standard = items.map(standardValue)
    return standard.every((item, index) => item === items[index]) ? value : new Set(standard)
  }
  return value
}

function standardMap(map: Map<unknown, unknown>): unknown {
  for (const key of map.keys()) {
    if (typeof key !== 'string') {
      const standard = new Map<unknown, unknown>()
      for (const [k, v] of map) standard.set(standardValue(k), standardValue(v))
      return standard
    }
  }
  const object: Record<string, unknown> = {}
  for (const [key, item] of map as Map<string, unknown>) {
    if (key === '__proto__') Object.defineProperty(object, key, { value: standardValue(item), ...ownField })
    else object[key] = standardValue(item)
  }
  return object
}

/** Extension types whose data is all they hold: undefined, typed arrays, ArrayBuffer, timestamps. */
const selfContainedExtensions = new Set([0x00, 0x74, 0x62, 0xff])
const protoKey = Buffer.from('__proto__')
/** Open containers past this make the scan give up (the full read then fails on nesting). */
const deepestScan = 512

/** The number of tokens a container header `first` at `at` opens (keys and values for a map), or 0. */
function itemsOpened(packed: Buffer, at: number, first: number): number {
  if (first >= 0x80 && first < 0x90) return 2 * (first & 0x0f)
  if (first >= 0x90 && first < 0xa0) return first & 0x0f
  if (first === 0xdc) return packed.readUInt16BE(at + 1)
  if (first === 0xdd) return packed.readUInt32BE(at + 1)
  if (first === 0xde) return 2 * packed.readUInt16BE(at + 1)
  if (first === 0xdf) return 2 * packed.readUInt32BE(at + 1)
  return 0
}

/** Where the type byte of an extension token `first` is, relative to it, or 0 when it is none. */
function extensionTypeOffset(first: number): number {
  if (first >= 0xd4 && first <= 0xd8) return 1
  if (first === 0xc7) return 2
  if (first === 0xc8) return 3
  if (first === 0xc9) return 5
  return 0
}

function isStringToken(first: number): boolean {
  return (first >= 0xa0 && first < 0xc0) || first === 0xd9 || first === 0xda || first === 0xdb
}

/** Whether the string token `first` at `at` is `__proto__`, in any of the string formats. */
function isProtoKey(raw: Buffer, at: number, first: number): boolean {
  const start = first < 0xc0 ? at + 1 : first === 0xd9 ? at + 2 : first === 0xda ? at + 3 : at + 5
  return (
    tokenLength(raw, at, first) === start - at + protoKey.length &&
    raw.subarray(start, start + protoKey.length).equals(protoKey)
  )
}

/**
 * Whether `standardValue` would leave nothing to do after msgpackr read `raw` with `mapsAsObjects`:
 * every map key is a string other than `__proto__`, no integer is an int64 or uint64, and no
 * extension reads the value after it (msgpackr's Set, RegExp, Error and record extensions do). Then
 * reading maps straight into objects gives the same value, without building Maps first. A scan of
 * the tokens, no recursion; `false` when in doubt (truncated data, deep nesting).
 */
export function readsAsPlainObjects(raw: Buffer): boolean {
  const left: number[] = []
  const isMap: boolean[] = []
  let at = 0
  try {
    while (at < raw.length) {
      const first = raw[at] as number
      const top = left.length - 1
      if (top >= 0 && isMap[top] === true && (left[top] as number) % 2 === 0) {
        if (!isStringToken(first) || isProtoKey(raw, at, first)) return false
      }
      if (first === uint64 || first === int64) return false
      const typeOffset = extensionTypeOffset(first)
      if (typeOffset !== 0 && !selfContainedExtensions.has(raw[at + typeOffset] as number)) return false
      const opened = itemsOpened(raw, at, first)
      at += tokenLength(raw, at, first)
      if (top >= 0) left[top] = (left[top] as number) - 1
      if (opened > 0) {
        if (left.length >= deepestScan) return false
        left.push(opened)
        isMap.push(first < 0x90 || first === 0xde || first === 0xdf)
      } else {
        while (left.length > 0 && left[left.length - 1] === 0) {
          left.pop()
          isMap.pop()
        }
      }
    }
  } catch {
    return false
  }
  return left.length === 0
}
