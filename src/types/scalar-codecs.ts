import { describe } from '../errors.js'
import type { RedisValue, ValueCodec } from './value-codec.js'

function refuse(value: unknown, type: string, accepted: string): never {
  throw new TypeError(`Expected a value of valueType \`${type}\` (${accepted}), got ${describe(value)}`)
}

function corrupt(raw: RedisValue, type: string): never {
  throw new TypeError(`Stored data ${describe(String(raw))} is not a valid \`${type}\``)
}

/**
 * Any string of well-formed Unicode. A lone surrogate is refused: UTF-8 cannot carry it, so Redis
 * would store U+FFFD instead and a read would not return what was written.
 */
export const stringCodec: ValueCodec<string> = {
  reply: 'string',
  encode(value) {
    if (typeof value !== 'string') refuse(value, 'string', 'a string')
    if (!value.isWellFormed()) refuse(value, 'string', 'well-formed Unicode, without lone surrogates')
    return value
  },
  decode: (raw) => raw as string,
}

const integerText = /^[+-]?\d+$/

export const intCodec: ValueCodec<number> = {
  reply: 'string',
  encode(value) {
    if (!Number.isSafeInteger(value)) refuse(value, 'int', 'a safe integer')
    return String(value)
  },
  decode(raw) {
    const parsed = Number(raw)
    if (!integerText.test(raw as string) || !Number.isSafeInteger(parsed)) corrupt(raw, 'int')
    return parsed
  },
}

// No two ways to match the same digits (`\d+\.?\d*` had many), so a mismatch is found in linear time:
// the old pattern took 36 s to refuse 100,000 digits followed by an 'x'.
const decimalText = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const infinityText = /^([+-]?)inf(?:inity)?$/i

/**
 * Any number, NaN, infinities and -0 included; written as JavaScript prints it ('1.5', '-0',
 * 'Infinity', 'NaN'). Reads 'inf', '-inf' and 'nan' in any case too, as Python and others write them.
 */
export const floatCodec: ValueCodec<number> = {
  reply: 'string',
  encode(value) {
    if (typeof value !== 'number') refuse(value, 'float', 'a number')
    return Object.is(value, -0) ? '-0' : String(value)
  },
  decode(raw) {
    const text = raw as string
    if (decimalText.test(text)) return Number(text)
    const infinity = infinityText.exec(text)
    if (infinity !== null) return infinity[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
    if (text.toLowerCase() === 'nan') return Number.NaN
    return corrupt(raw, 'float')
  },
}

/** `true` is written as '1' and `false` as '0'; 'true' and 'false' written by other programs read back too. */
export const boolCodec: ValueCodec<boolean> = {
  reply: 'string',
  encode(value) {
    if (typeof value !== 'boolean') refuse(value, 'bool', 'true or false')
    return value ? '1' : '0'
  },
  decode(raw) {
    // What other programs write for a boolean: 1/0, JSON's true/false, Python's str(True) / str(False).
    switch (raw) {
      case '1':
      case 'true':
      case 'True':
        return true
      case '0':
      case 'false':
      case 'False':
        return false
    }
    return corrupt(raw, 'bool')
  },
}

/**
 * Binary data, stored byte for byte; read back as a `Buffer`. `encode` copies, so that changing the
 * caller's buffer while the write waits for its pipeline changes neither Redis nor L1.
 */
export const bytesCodec: ValueCodec<Uint8Array> = {
  reply: 'buffer',
  encode(value) {
    if (!(value instanceof Uint8Array)) refuse(value, 'bytes', 'a Buffer or Uint8Array')
    return Buffer.from(value)
  },
  decode: (raw) => raw as Buffer,
}
