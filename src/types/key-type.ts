import { describe } from '../errors.js'
import { canonicalJson } from './canonical-json.js'
import { maxNestingDepth, valueNestsDeeper } from './nesting.js'

/** Turns a key into the string after `name:` in Redis, and back. `encode` throws a `TypeError` for a key of the wrong type. */
export interface KeyCodec<K> {
  encode(key: K): string
  decode(encoded: string): K
}

/** The key types flipcache knows by name. */
export const KeyTypeName = {
  string: 'string',
  int: 'int',
  float: 'float',
  bigint: 'bigint',
  json: 'json',
} as const
export type KeyTypeName = (typeof KeyTypeName)[keyof typeof KeyTypeName]

/** `keyType` option: a name, or your own codec (`encode` must return a non-empty string). */
export type KeyType<K> = KeyTypeName | KeyCodec<K>

/** The default of the `maxKeyLength` option, in UTF-16 code units (JavaScript string length). */
export const defaultMaxKeyLength = 16_384

const integerText = /^[+-]?\d+$/
// No two ways to match the same digits (`\d+\.?\d*` had many), so a mismatch is found in linear time.
const decimalText = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i

function refuse(key: unknown, type: string, accepted: string): never {
  throw new TypeError(`Expected a key of keyType \`${type}\` (${accepted}), got ${describe(key)}`)
}

/** Strings whose UTF-16 is not well formed would be mangled to U+FFFD on their way to Redis, and collide. */
function checkText(key: unknown, type: string, encoded: string): string {
  if (encoded.length === 0) refuse(key, type, 'it must not be empty')
  if (!encoded.isWellFormed()) refuse(key, type, 'well-formed Unicode, without lone surrogates')
  return encoded
}

const stringKey: KeyCodec<string> = {
  encode(key) {
    if (typeof key !== 'string') refuse(key, 'string', 'a non-empty string')
    return checkText(key, 'string', key)
  },
  decode: (encoded) => encoded,
}

function toInteger(key: unknown): number | undefined {
  if (typeof key === 'number') return Number.isSafeInteger(key) ? key : undefined
  if (typeof key === 'string' && integerText.test(key)) {
    const parsed = Number(key)
    return Number.isSafeInteger(parsed) ? parsed : undefined
  }
  return undefined
}

const intKey: KeyCodec<number> = {
  encode(key) {
    const integer = toInteger(key)
    if (integer === undefined) refuse(key, 'int', 'a safe integer, or a string of one')
    return String(integer)
  },
  decode(encoded) {
    const integer = toInteger(encoded)
    if (integer === undefined) refuse(encoded, 'int', 'a safe integer')
    return integer
  },
}

function toFloat(key: unknown): number | undefined {
  if (typeof key === 'number') return Number.isFinite(key) ? key : undefined
  if (typeof key === 'string' && decimalText.test(key)) {
    const parsed = Number(key)
    return Number.isFinite(parsed) ? parsed : undefined
  }
  return undefined
}

const floatKey: KeyCodec<number> = {
  encode(key) {
    const float = toFloat(key)
    if (float === undefined) refuse(key, 'float', 'a finite number, or a string of one')
    return String(float)
  },
  decode(encoded) {
    const float = toFloat(encoded)
    if (float === undefined) refuse(encoded, 'float', 'a finite number')
    return float
  },
}

function toBigInt(key: unknown): bigint | undefined {
  if (typeof key === 'bigint') return key
  if (typeof key === 'number') return Number.isSafeInteger(key) ? BigInt(key) : undefined
  if (typeof key === 'string' && integerText.test(key)) return BigInt(key)
  return undefined
}

const bigintKey: KeyCodec<bigint> = {
  encode(key) {
    const big = toBigInt(key)
    if (big === undefined) refuse(key, 'bigint', 'a bigint, a safe integer, or a string of digits')
    return String(big)
  },
  decode(encoded) {
    const big = toBigInt(encoded)
    if (big === undefined) refuse(encoded, 'bigint', 'digits')
    return big
  },
}

const jsonKey: KeyCodec<unknown> = {
  encode(key) {
    if (key === undefined) refuse(key, 'json', 'any JSON value but undefined')
    return canonicalJson(key)
  },
  decode(encoded) {
    const parsed: unknown = JSON.parse(encoded)
    if (valueNestsDeeper(parsed, maxNestingDepth, encoded.length)) {
      refuse(encoded, 'json', `nested at most ${maxNestingDepth} deep`)
    }
    return parsed
  },
}

function customKey<K>(codec: KeyCodec<K>): KeyCodec<K> {
  return {
    encode(key) {
      const encoded: unknown = codec.encode(key)
      if (typeof encoded !== 'string' || encoded.length === 0) {
        throw new TypeError(
          `Expected \`keyType.encode\` to return a non-empty string for key ${describe(key)}, got ${describe(encoded)}`,
        )
      }
      return checkText(key, 'custom', encoded)
    },
    decode: (encoded) => codec.decode(encoded),
  }
}

const namedKeyCodecs: Record<
  KeyTypeName,
  KeyCodec<string> | KeyCodec<number> | KeyCodec<bigint> | KeyCodec<unknown>
> = {
  string: stringKey,
  int: intKey,
  float: floatKey,
  bigint: bigintKey,
  json: jsonKey,
}

/**
 * `codec` with keys of at most `maxLength` UTF-16 code units, checked before any parsing: a key
 * given as a longer string, a bigint of more digits, or that encodes longer, is a `TypeError`; a
 * longer stored key (found by keys() or entries()) is not decoded.
 */
function limitedKey<K>(codec: KeyCodec<K>, maxLength: number): KeyCodec<K> {
  let bigintBound: bigint | undefined
  const tooLong = (got: string): never => {
    throw new TypeError(`Expected a key of at most ${maxLength} characters (\`maxKeyLength\`), got ${got}`)
  }
  return {
    encode(key) {
      if (typeof key === 'string' && key.length > maxLength) tooLong(`a string of ${key.length}`)
      if (typeof key === 'bigint') {
        // Comparing magnitudes is linear in the size of the bigint; printing it in decimal is not.
        bigintBound ??= 10n ** BigInt(maxLength)
        if (key >= bigintBound || -key >= bigintBound) tooLong(`a bigint of more than ${maxLength} digits`)
      }
      const encoded = codec.encode(key)
      if (encoded.length > maxLength) tooLong(`one that encodes to ${encoded.length}`)
      return encoded
    },
    decode(encoded) {
      if (encoded.length > maxLength) tooLong(`a stored key of ${encoded.length}`)
      return codec.decode(encoded)
    },
  }
}

/**
 * The codec for a `keyType` option, with keys of at most `maxKeyLength` characters; throws a
 * `TypeError` for anything that is not one.
 */
export function keyCodecFor<K>(keyType: KeyType<K>, maxKeyLength = defaultMaxKeyLength): KeyCodec<K> {
  if (typeof keyType === 'string' && Object.hasOwn(namedKeyCodecs, keyType)) {
    return limitedKey(namedKeyCodecs[keyType] as unknown as KeyCodec<K>, maxKeyLength)
  }
  if (
    typeof keyType === 'object' &&
    keyType !== null &&
    typeof keyType.encode === 'function' &&
    typeof keyType.decode === 'function'
  ) {
    return limitedKey(customKey(keyType), maxKeyLength)
  }
  throw new TypeError(
    `Expected \`keyType\` to be one of ${Object.keys(namedKeyCodecs)
      .map((name) => `'${name}'`)
      .join(', ')} or { encode(key): string, decode(s): key }, got ${describe(keyType)}`,
  )
}

/** The key type each named `keyType` stands for (`'json'`: any JSON value but `undefined`). */
export interface KeyTypes {
  string: string
  int: number
  float: number
  bigint: bigint
  json: unknown
}

/**
 * The `keyType` values a cache of keys `K` accepts: the names whose keys `K` fits (`'json'` takes
 * any `K`), or a codec of `K`. An untyped cache (`K` is `unknown`) takes every name.
 */
export type KeyTypeFor<K> =
  | KeyCodec<K>
  | (unknown extends K
      ? KeyTypeName
      : { [N in KeyTypeName]: [K] extends [KeyTypes[N]] ? N : never }[KeyTypeName])

/** The key type a `keyType` option stands for: `'int'` → `number`, a codec → its key type. */
export type KeyOfType<T> = T extends KeyTypeName
  ? KeyTypes[T]
  : T extends { decode(encoded: string): infer K }
    ? K
    : string
