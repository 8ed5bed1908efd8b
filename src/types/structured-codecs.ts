import superjson from 'superjson'
import { describe } from '../errors.js'
import { jsonNestsDeeper, maxNestingDepth, valueNestsDeeper } from './nesting.js'
import { checkEnvelope } from './superjson-cost.js'
import type { ValueCodec } from './value-codec.js'

function refuseDeep(value: unknown, type: string): never {
  throw new TypeError(
    `Expected a value of valueType \`${type}\` nested at most ${maxNestingDepth} deep, got ${describe(value)}`,
  )
}

/**
 * `JSON.parse` of stored text, refused when it nests deeper than `maxNestingDepth`. V8's parser
 * reads any depth without recursion; the walk after it is cheaper than a scan of the text before it
 * (one step per value, not per character), and is skipped for text too short to nest that deep.
 */
function parseStored(text: string): unknown {
  const parsed: unknown = JSON.parse(text)
  if (text.length > 2 * maxNestingDepth && valueNestsDeeper(parsed, maxNestingDepth, text.length)) {
    throw new TypeError(`Stored JSON nests deeper than ${maxNestingDepth} levels`)
  }
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
 * An object that looks like superjson's own `{ json, meta }` envelope. Values stored as plain JSON
 * never look like this, because {@link superjsonCodec} wraps such look-alikes when writing them.
 */
function isEnvelope(parsed: unknown): parsed is { json: never; meta?: never } {
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
      meta === undefined && !isEnvelope(json)
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
    if (!isEnvelope(parsed)) return parsed
    checkEnvelope(parsed, text.length)
    // In place: the parsed object is this read's own, so superjson need not copy it first.
    return superjson.deserialize(parsed, { inPlace: true })
  },
}
