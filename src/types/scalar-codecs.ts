import { describe } from '../errors.js'
import type { RedisValue, ValueCodec } from './value-codec.js'

function refuse(value: unknown, type: string, accepted: string): never {
  throw new TypeError(`Expected a value of valueType \`${type}\` (${accepted}), got ${describe(value)}`)
}

function corrupt(raw: RedisValue, type: string): never {
  throw new TypeError(`Stored data ${describe(String(raw))} is not a valid \`${type}\``)
}

export const stringCodec: ValueCodec<string> = {
  reply: 'string',
  encode(value) {
    if (typeof value !== 'string') refuse(value, 'string', 'a string')
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

const floatText = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$|^[+-]?Infinity$|^NaN$/i

/** Any number, NaN, infinities and -0 included; written as JavaScript prints it ('1.5', '-0', 'Infinity'). */
export const floatCodec: ValueCodec<number> = {
  reply: 'string',
  encode(value) {
    if (typeof value !== 'number') refuse(value, 'float', 'a number')
    return Object.is(value, -0) ? '-0' : String(value)
  },
  decode(raw) {
    if (!floatText.test(raw as string)) corrupt(raw, 'float')
    return (raw as string).toLowerCase() === 'nan' ? Number.NaN : Number(raw)
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
    switch (raw) {
      case '1':
      case 'true':
        return true
      case '0':
      case 'false':
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
