import superjson from 'superjson'
import { describe } from '../errors.js'
import { jsonNestsDeeper, maxNestingDepth, valueNestsDeeper } from './nesting.js'
import { isPlainJson } from './plain-json.js'
import { parseNonFinite } from './python-json.js'
import { checkEnvelope, type Envelope } from './superjson-cost.js'
import type { ValueCodec } from './value-codec.js'

function refuseDeep(value: unknown, type: string): never {
  throw new TypeError(
    `Expected a value of valueType \`${type}\` nested at most ${maxNestingDepth} deep, got ${describe(value)}`,
  )
}

/** Refuses a value parsed from `length` characters that nests deeper than `maxNestingDepth`. */
function checkNesting(parsed: unknown, length: number): void {
  if (length > 2 * maxNestingDepth && valueNestsDeeper(parsed, maxNestingDepth, length)) {
    throw new TypeError(`Stored JSON nests deeper than ${maxNestingDepth} levels`)
  }
}

/**
 * `JSON.parse` of stored text, refused when it nests deeper than `maxNestingDepth`. V8's parser
 * reads any depth without recursion; the walk after it is cheaper than a scan of the text before it
 * (one step per value, not per character), and is skipped for text too short to nest that deep.
 * Text `JSON.parse` refuses is read once more as Python's `json.dumps` writes it, with `NaN`,
 * `Infinity` and `-Infinity` (see python-json.ts): only then, so valid JSON pays nothing for it.
 */
function parseStored(text: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    return parseNonFinite(text, error, (rewritten) => checkNesting(rewritten, text.length))
  }
  checkNesting(parsed, text.length)
  return parsed
}

/** Plain JSON: what `JSON.stringify` writes and `JSON.parse` reads (so Dates come back as strings). */
export const jsonCodec: ValueCodec<unknown> = {
  reply: 'string',
  encode(value) {
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (error) {
      throw new TypeError(
        `Expected a value of valueType \`json\`, got ${describe(value)}: ${(error as Error).message}`,
      )
    }
    if (text === undefined)
      throw new TypeError(`Expected a value of valueType \`json\`, got ${describe(value)}`)
    if (jsonNestsDeeper(text)) refuseDeep(value, 'json')
    return text
  },
  decode: (raw) => parseStored(raw as string),
}

/**
 * An object shaped like superjson's own `{ json, meta }` envelope: fields `json` and, optionally,
 * `meta`, and no other. {@link superjsonCodec} writes every such value inside an envelope, as it
 * always has: earlier releases took every object of this shape for an envelope, and still read
 * what this one writes.
 */
function hasEnvelopeShape(parsed: unknown): parsed is { json: never; meta?: never } {
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.hasOwn(parsed, 'json')
  ) {
    return false
  }
  for (const field in parsed) if (field !== 'json' && field !== 'meta') return false
  return true
}

/**
 * How `JSON.stringify` begins an envelope, followed by the value: never by a space, as Python's
 * `json.dumps` writes it (`{"json": 1}`).
 */
const envelopeStart = '{"json":'

function startsLikeEnvelope(text: string): boolean {
  if (!text.startsWith(envelopeStart)) return false
  const next = text.charCodeAt(envelopeStart.length)
  return next !== 0x20 && next !== 0x0a && next !== 0x0d && next !== 0x09
}

/**
 * Metadata as superjson writes it: an object of `values` and/or `referentialEqualities`, and `v`
 * (superjson 2; superjson 1 wrote no `v`), and nothing else.
 */
function isSuperjsonMeta(meta: unknown): boolean {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return false
  let annotations = false
  for (const field in meta) {
    if (field === 'values' || field === 'referentialEqualities') annotations = true
    else if (field !== 'v') return false
  }
  return annotations
}

/**
 * Whether stored `text` (parsed as `parsed`) is an envelope {@link superjsonCodec} wrote, rather
 * than a plain object of that shape another program wrote (Python's `{"json": 1}`). flipcache
 * writes two kinds, always as `JSON.stringify` does, without spaces and with `json` first:
 * `{"json":…,"meta":…}` with superjson's metadata, and `{"json":…}` around a value that itself has
 * the envelope's shape. Anything else is plain JSON: an object written with spaces (Python's
 * `json.dumps` default), `meta` first, `meta` that is not superjson's, or `{"json":…}` around any
 * other value. Only `{"json":{"json":…}}` and `{"json":…,"meta":{"values":…}}` written compactly
 * by another program are still taken for envelopes: those are flipcache's own bytes.
 */
function isStoredEnvelope(text: string, parsed: unknown): parsed is Envelope {
  if (!startsLikeEnvelope(text) || !hasEnvelopeShape(parsed)) return false
  return Object.hasOwn(parsed, 'meta') ? isSuperjsonMeta(parsed.meta) : hasEnvelopeShape(parsed.json)
}

/**
 * superjson without paying for its wrapper: a value that needs no type metadata (plain objects,
 * arrays, strings, finite numbers, booleans, null) is stored as the plain JSON other programs can
 * read; only values with Dates, Maps, Sets, BigInts, RegExps, undefined, -0, NaN... carry
 * superjson's `{"json":...,"meta":...}` envelope.
 */
export const superjsonCodec: ValueCodec<unknown> = {
  reply: 'string',
  encode(value) {
    if (typeof value === 'function' || typeof value === 'symbol') {
      throw new TypeError(`Expected a value of valueType \`superjson\`, got ${describe(value)}`)
    }
    // Plain data, which superjson would hand back as is, skips its walk (a third of a small write's
    // encoding); the bytes are the same (test/unit/plain-json.test.ts compares the two).
    if (isPlainJson(value) && !hasEnvelopeShape(value)) return JSON.stringify(value)
    let serialized: ReturnType<typeof superjson.serialize>
    try {
      serialized = superjson.serialize(value)
    } catch (error) {
      throw new TypeError(
        `Expected a value of valueType \`superjson\`, got ${describe(value)}: ${(error as Error).message}`,
      )
    }
    const { json, meta } = serialized
    const text =
      meta === undefined && !hasEnvelopeShape(json)
        ? JSON.stringify(json)
        : JSON.stringify(meta === undefined ? { json } : { json, meta })
    if (jsonNestsDeeper(text)) refuseDeep(value, 'superjson')
    // What a read would refuse is refused here, so that every value written reads back.
    try {
      checkEnvelope({ json, meta }, text.length)
    } catch (error) {
      throw new TypeError(
        `Expected a value of valueType \`superjson\` that superjson can read back in time linear in its size, got ${describe(value)}: ${(error as Error).message}`,
      )
    }
    return text
  },
  decode(raw) {
    const text = raw as string
    const parsed = parseStored(text)
    if (!isStoredEnvelope(text, parsed)) return parsed
    checkEnvelope(parsed, text.length)
    // In place: the parsed object is this read's own, so superjson need not copy it first.
    return superjson.deserialize(parsed as Parameters<typeof superjson.deserialize>[0], { inPlace: true })
  },
}
