import { isUtf8 } from 'node:buffer'

/** What a value is written to Redis as, and how its reply is read back. */
export type RedisValue = string | Buffer

/**
 * Turns a value into what Redis stores, and back. `encode` throws a `TypeError` for a value that
 * does not fit the type (before anything is written); `decode` throws on data it cannot read.
 */
export interface ValueCodec<V> {
  /** How this codec wants replies: `'string'` (UTF-8 decoded by the client) or `'buffer'` (raw bytes). */
  readonly reply: 'string' | 'buffer'
  encode(value: V): RedisValue
  /** Receives a `string` when `reply` is `'string'`, a `Buffer` when it is `'buffer'`. */
  decode(raw: RedisValue): V
  /**
   * For a codec whose stored data names definitions kept apart from it in Redis (msgpack's shared
   * structures): loads them again. A read whose decode threw `UnknownStructureError` decodes once
   * more after it (see `EntryCodec.unframeMany`).
   */
  reload?(): Promise<void>
}

/**
 * `encoded` as a reply of `mode` would carry it: what `decode` of a codec with that `reply` expects.
 * Bytes that are not UTF-8 throw rather than become a string: decoding would replace them with
 * U+FFFD, silently handing the codec something else than what was stored.
 */
export function asReply(encoded: RedisValue, mode: 'string' | 'buffer'): RedisValue {
  if (mode === 'buffer') return typeof encoded === 'string' ? Buffer.from(encoded) : encoded
  if (typeof encoded === 'string') return encoded
  if (!isUtf8(encoded)) throw new TypeError('Stored data is not valid UTF-8')
  return encoded.toString()
}
