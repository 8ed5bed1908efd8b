import type { RedisValue } from './value-codec.js'

/**
 * The optional header of a stored value. Most values are stored raw; a value carries a header only
 * when it needs metadata (a logical expiry, written by getOrSet with `grace` or `refreshAhead`), or
 * when its own first byte is NUL and would otherwise look like a header. The header is ASCII, so it
 * survives a client that reads replies as UTF-8 strings:
 *
 *   byte 0      0x00 (NUL): a value never starts with it otherwise
 *   byte 1      flags, 0x40 ('@') + bits: 0x01 = a fresh-until time follows; other bits must be 0
 *   bytes 2-10  with 0x01: the fresh-until time, epoch milliseconds in base 36 ([0-9a-z]), 9 digits
 *   the rest    the encoded value
 */
const marker = 0x00
const flagsBase = 0x40
const hasFreshUntil = 0x01
const knownFlags = hasFreshUntil
const freshUntilDigits = 9

/** What a header says, and where the encoded value starts. */
export interface Header {
  /** Epoch ms after which the value is stale (`Infinity`: never). */
  freshUntil: number
  /** Offset of the encoded value in the stored data. */
  start: number
}

/** Whether stored data starts with a header (a cheap check for the common, raw case). */
export function hasHeader(raw: RedisValue): boolean {
  return typeof raw === 'string' ? raw.charCodeAt(0) === marker : raw.length > 0 && raw[0] === marker
}

/** Adds a header when the value needs one: when it has a fresh-until time, or starts with NUL. */
export function withHeader(encoded: RedisValue, freshUntil = Number.POSITIVE_INFINITY): RedisValue {
  const timed = Number.isFinite(freshUntil)
  if (!timed && !hasHeader(encoded)) return encoded
  const header =
    String.fromCharCode(marker, flagsBase | (timed ? hasFreshUntil : 0)) +
    (timed ? Math.max(0, Math.round(freshUntil)).toString(36).padStart(freshUntilDigits, '0') : '')
  return typeof encoded === 'string'
    ? header + encoded
    : Buffer.concat([Buffer.from(header, 'latin1'), encoded])
}

/** Reads the header of data for which `hasHeader` is true; throws on a malformed one. */
export function readHeader(raw: RedisValue): Header {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1', 0, 2 + freshUntilDigits)
  const flags = text.charCodeAt(1) - flagsBase
  if (Number.isNaN(flags) || flags < 0 || (flags & ~knownFlags) !== 0) {
    throw new TypeError(
      `Stored data starts with NUL but has no valid header (flags byte ${text.charCodeAt(1)})`,
    )
  }
  if ((flags & hasFreshUntil) === 0) return { freshUntil: Number.POSITIVE_INFINITY, start: 2 }
  const digits = text.slice(2, 2 + freshUntilDigits)
  if (!/^[0-9a-z]{9}$/.test(digits))
    throw new TypeError(`Stored header has a malformed fresh-until time '${digits}'`)
  return { freshUntil: Number.parseInt(digits, 36), start: 2 + freshUntilDigits }
}

/** The encoded value after a header of `start` bytes. */
export function afterHeader(raw: RedisValue, start: number): RedisValue {
  return typeof raw === 'string' ? raw.slice(start) : raw.subarray(start)
}

/** Decodes stored data, header or not: the value and its fresh-until time (`Infinity`: never stale). */
export function decodeStored<V>(
  decode: (raw: RedisValue) => V,
  raw: RedisValue,
): { value: V; freshUntil: number } {
  if (!hasHeader(raw)) return { value: decode(raw), freshUntil: Number.POSITIVE_INFINITY }
  const { freshUntil, start } = readHeader(raw)
  return { value: decode(afterHeader(raw, start)), freshUntil }
}
