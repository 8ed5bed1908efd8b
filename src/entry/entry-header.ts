import {
  brotliCompressSync,
  brotliDecompressSync,
  deflateSync,
  gunzipSync,
  gzipSync,
  inflateSync,
} from 'node:zlib'
import { maxTagSectionBytes, readStamps, type TagStamp } from '../tags/tag-stamps.js'
import type { RedisValue } from '../types/value-codec.js'
import { defaultMaxValueBytes } from './limits.js'

/**
 * The optional header of a stored value. A value without metadata is stored as its codec's bytes,
 * exactly; a value carries a header only when it needs metadata (a logical expiry, written by getOrSet
 * with `grace` or `refreshAhead`; an expires-at time in a hash bucket; tags), when it is compressed, or
 * when its own bytes would read as a header: NUL followed by a flags byte, 0x40 to 0x4F (`@` to `O`). Only
 * those are escaped (with the two bytes NUL `@` in front); NUL followed by anything else, or alone, is
 * a raw value (MessagePack's `0` is the one byte NUL; a string may start with NUL). The header is
 * ASCII, so it survives a client that reads replies as UTF-8 strings:
 *
 *   byte 0   0x00 (NUL)
 *   byte 1   flags, 0x40 ('@') + bits: 0x01 = a fresh-until time follows; 0x02 = the value is
 *            compressed; 0x04 = an expires-at time follows (hash buckets); 0x08 = tags follow;
 *            other bits must be 0, so the flags byte is 0x40 to 0x4F and any other second byte
 *            makes the data a raw value
 *   9 bytes  with 0x01: the fresh-until time, epoch milliseconds in base 36 ([0-9a-z])
 *   9 bytes  with 0x04: the expires-at time, the same way
 *   3 + L    with 0x08: L, the tag section's length in bytes, as 3 base-36 digits; then the section:
 *            `tag=hard.soft` per tag (the tag percent-encoded, the counts decimal), joined by `,`
 *   1 byte   with 0x02: the algorithm: 'g' gzip, 'd' deflate, 'b' brotli
 *   the rest the encoded value (compressed, with 0x02)
 *
 * Data that starts with NUL and a flags byte but whose times or algorithm are malformed is refused
 * (`readHeader` throws), never read as a raw value.
 */
const marker = 0x00
const flagsBase = 0x40
const hasFreshUntil = 0x01
const isCompressed = 0x02
const hasExpiresAt = 0x04
const hasTags = 0x08
const knownFlags = hasFreshUntil | isCompressed | hasExpiresAt | hasTags
const timeDigits = 9
const tagLengthDigits = 3
/** The longest a header gets without tags: NUL, flags, two times and the algorithm. */
export const longestHeader = 3 + 2 * timeDigits

/** The compression algorithms of the `compress` option. */
export const CompressionAlgorithm = { gzip: 'gzip', deflate: 'deflate', brotli: 'brotli' } as const
export type CompressionAlgorithm = (typeof CompressionAlgorithm)[keyof typeof CompressionAlgorithm]

/** When to compress: encodings longer than `thresholdBytes`, with `algorithm`. */
export interface Compression {
  thresholdBytes: number
  algorithm: CompressionAlgorithm
}

/** Expansion stops past `maxOutputLength` bytes (node:zlib throws `ERR_BUFFER_TOO_LARGE`), before allocating more. */
type Expand = (data: Buffer, options: { maxOutputLength: number }) => Buffer

const algorithms: Record<string, { id: string; compress(data: Buffer): Buffer; expand: Expand }> = {
  gzip: { id: 'g', compress: (data) => gzipSync(data), expand: gunzipSync },
  deflate: { id: 'd', compress: (data) => deflateSync(data), expand: inflateSync },
  brotli: { id: 'b', compress: (data) => brotliCompressSync(data), expand: brotliDecompressSync },
}
const byId = new Map(Object.values(algorithms).map((algorithm) => [algorithm.id, algorithm]))

/** What stored data holds once its header is read: the encoded value, and when it turns stale. */
export interface Stored {
  /** The encoded value, decompressed (a Buffer when it was compressed). */
  payload: RedisValue
  /** Epoch ms after which the value is stale (`Infinity`: never). */
  freshUntil: number
  /** Epoch ms after which the entry is gone (hash-bucket fields on a server without field TTLs; `Infinity`: never). */
  expiresAt: number
  /** The entry's tags and their invalidation counts when it was written, if it has tags. */
  tags: TagStamp[] | undefined
}

function isFlags(code: number | undefined): boolean {
  return code !== undefined && code >= flagsBase && code <= (flagsBase | knownFlags)
}

/**
 * Whether stored data starts with a header: NUL and a flags byte (a cheap check for the common, raw
 * case). An encoded value for which it holds is escaped by `withHeader`.
 */
export function hasHeader(raw: RedisValue): boolean {
  return typeof raw === 'string'
    ? raw.charCodeAt(0) === marker && isFlags(raw.charCodeAt(1))
    : raw[0] === marker && isFlags(raw[1])
}

function byteLength(encoded: RedisValue): number {
  return typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length
}

/**
 * What to store for an encoded value: the value alone, unless it has a fresh-until or expires-at time,
 * is longer than the compression threshold (and shrinks when compressed), or starts as a header does
 * (NUL and a flags byte, `hasHeader`).
 */
export function withHeader(
  encoded: RedisValue,
  freshUntil = Number.POSITIVE_INFINITY,
  compression?: Compression,
  expiresAt = Number.POSITIVE_INFINITY,
  tagSection = '',
): RedisValue {
  const timed = Number.isFinite(freshUntil)
  const expiring = Number.isFinite(expiresAt)
  const tagged = tagSection !== ''
  let body = encoded
  let algorithmId = ''
  if (compression !== undefined && byteLength(encoded) > compression.thresholdBytes) {
    const algorithm = algorithms[compression.algorithm] as (typeof algorithms)[string]
    const compressed = algorithm.compress(typeof encoded === 'string' ? Buffer.from(encoded) : encoded)
    // A value that does not shrink is stored as it is.
    if (compressed.length < byteLength(encoded)) {
      body = compressed
      algorithmId = algorithm.id
    }
  }
  if (!timed && !expiring && !tagged && algorithmId === '' && !hasHeader(encoded)) return encoded
  const flags =
    flagsBase |
    (timed ? hasFreshUntil : 0) |
    (expiring ? hasExpiresAt : 0) |
    (tagged ? hasTags : 0) |
    (algorithmId === '' ? 0 : isCompressed)
  const header =
    String.fromCharCode(marker, flags) +
    (timed ? time(freshUntil) : '') +
    (expiring ? time(expiresAt) : '') +
    (tagged ? tagSection.length.toString(36).padStart(tagLengthDigits, '0') + tagSection : '') +
    algorithmId
  return typeof body === 'string' ? header + body : Buffer.concat([Buffer.from(header, 'latin1'), body])
}

/** The latest time 9 base-36 digits hold (the year 5138): later times are written as it. */
const latestTime = 36 ** timeDigits - 1

function time(epochMs: number): string {
  return Math.min(latestTime, Math.max(0, Math.round(epochMs)))
    .toString(36)
    .padStart(timeDigits, '0')
}

function readTime(text: string, start: number, what: string): number {
  const digits = text.slice(start, start + timeDigits)
  if (!/^[0-9a-z]{9}$/.test(digits))
    throw new TypeError(`Stored header has a malformed ${what} time '${digits}'`)
  return Number.parseInt(digits, 36)
}

/**
 * Reads stored data that starts with a header; throws on a malformed header, corrupt compressed data,
 * or a value longer than `maxBytes` (compressed data is expanded to `maxBytes` at most, and given up
 * past it: a decompression bomb costs `maxBytes` of memory and the time to expand that much).
 */
export function readHeader(raw: RedisValue, maxBytes = defaultMaxValueBytes): Stored {
  const text =
    typeof raw === 'string' ? raw.slice(0, longestHeader) : raw.toString('latin1', 0, longestHeader)
  const flags = text.charCodeAt(1) - flagsBase
  if (Number.isNaN(flags) || flags < 0 || (flags & ~knownFlags) !== 0) {
    throw new TypeError(
      `Stored data starts with NUL but has no valid header (flags byte ${text.charCodeAt(1)})`,
    )
  }
  let start = 2
  let freshUntil = Number.POSITIVE_INFINITY
  let expiresAt = Number.POSITIVE_INFINITY
  if ((flags & hasFreshUntil) !== 0) {
    freshUntil = readTime(text, start, 'fresh-until')
    start += timeDigits
  }
  if ((flags & hasExpiresAt) !== 0) {
    expiresAt = readTime(text, start, 'expires-at')
    start += timeDigits
  }
  let tags: TagStamp[] | undefined
  if ((flags & hasTags) !== 0) {
    const section = tagSectionAt(raw, start)
    tags = readStamps(section)
    start += tagLengthDigits + section.length
  }
  if ((flags & isCompressed) === 0) {
    const payload = typeof raw === 'string' ? raw.slice(start) : raw.subarray(start)
    checkLength(payload, maxBytes)
    return { payload, freshUntil, expiresAt, tags }
  }
  const algorithmId = typeof raw === 'string' ? raw.charAt(start) : String.fromCharCode(raw[start] ?? 0)
  const algorithm = byId.get(algorithmId)
  if (algorithm === undefined)
    throw new TypeError(`Stored header names an unknown compression '${algorithmId}'`)
  if (typeof raw === 'string') {
    throw new TypeError('A compressed value was read as a string: it needs a reader of bytes')
  }
  const compressed = raw.subarray(start + 1)
  checkLength(compressed, maxBytes)
  return { payload: expandAtMost(algorithm.expand, compressed, maxBytes), freshUntil, expiresAt, tags }
}

/** The tag section that starts at `start` with its 3-digit length; ASCII only, or a `TypeError`. */
function tagSectionAt(raw: RedisValue, start: number): string {
  const read = (from: number, to: number): string =>
    typeof raw === 'string' ? raw.slice(from, to) : raw.toString('latin1', from, to)
  const digits = read(start, start + tagLengthDigits)
  if (!/^[0-9a-z]{3}$/.test(digits))
    throw new TypeError(`Stored header has a malformed tag length '${digits}'`)
  const length = Number.parseInt(digits, 36)
  const section = read(start + tagLengthDigits, start + tagLengthDigits + length)
  if (length > maxTagSectionBytes || section.length !== length || !/^[\x21-\x7e]*$/.test(section)) {
    throw new TypeError('Stored header has a truncated or non-ASCII tag section')
  }
  return section
}

function expandAtMost(expand: Expand, compressed: Buffer, maxBytes: number): Buffer {
  try {
    return expand(compressed, { maxOutputLength: maxBytes })
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_BUFFER_TOO_LARGE') throw error
    throw new TypeError(
      `Stored data expands to more than \`maxValueBytes\` (${maxBytes} bytes); expansion was stopped there`,
      { cause: error },
    )
  }
}

/** Throws unless `encoded` is at most `maxBytes` bytes long (UTF-8 bytes, for a string). */
export function checkLength(encoded: RedisValue, maxBytes: number): void {
  const bytes = lengthPast(encoded, maxBytes)
  if (bytes !== undefined) {
    throw new TypeError(`Stored data is ${bytes} bytes long, more than \`maxValueBytes\` (${maxBytes})`)
  }
}

/**
 * The byte length of `encoded` if it is longer than `maxBytes`, else `undefined`. A string is only
 * measured when its length leaves the answer open: its UTF-8 takes 1 to 3 bytes per UTF-16 unit.
 */
export function lengthPast(encoded: RedisValue, maxBytes: number): number | undefined {
  if (typeof encoded !== 'string') return encoded.length > maxBytes ? encoded.length : undefined
  if (encoded.length * 3 <= maxBytes) return undefined
  const bytes = Buffer.byteLength(encoded)
  return bytes > maxBytes ? bytes : undefined
}
