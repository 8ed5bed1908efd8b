import { DecodeError, EncodeError, ValueTooLargeError } from '../errors.js'
import { type TagStamp, writeStamps } from '../tags/tag-stamps.js'
import { UnknownStructureError } from '../types/shared-structures.js'
import { asReply, type RedisValue, type ValueCodec } from '../types/value-codec.js'
import {
  type Compression,
  checkLength,
  hasHeader,
  lengthPast,
  readHeader,
  withHeader,
} from './entry-header.js'
import { defaultMaxValueBytes } from './limits.js'

/** A stored entry, read back: its value, when it turns stale, and when it is gone. */
export interface Entry<V> {
  value: V
  /** Epoch ms after which the value is stale (getOrSet's logical expiry; `Infinity`: never). */
  freshUntil: number
  /** Epoch ms after which the entry is gone (hash-bucket fields; `Infinity`: never). */
  expiresAt: number
  /** Its tags, with their invalidation counts when it was written (`undefined`: no tags). */
  tags: TagStamp[] | undefined
}

/** When a framed entry turns stale and when it is gone (`Infinity` for never), and its tags. */
export interface EntryTimes {
  freshUntil: number
  expiresAt: number
  tags: readonly TagStamp[] | undefined
}

const never = Number.POSITIVE_INFINITY

/** Each stored value of a read unframed: an entry, the `DecodeError` that says why it is none, or `undefined` for a miss. */
export type Unframed<V> = (Entry<V> | DecodeError | undefined)[]

/**
 * The one place where an entry is framed for Redis and unframed from it: the value codec, the
 * optional header (fresh-until and expires-at times) and compression. Every read path (get,
 * getMany, has, ttl, keys, entries, read-through) unframes through `unframe`, so stored data gets
 * one verdict: it is an entry, or it is a `DecodeError` (a miss, reported), whatever asked.
 *
 * Values are bounded by `maxValueBytes` both ways: a longer encoding is never written, and stored
 * data that is longer, or expands to more, is a `DecodeError` before it is expanded past the bound,
 * turned into a string or parsed. Stored data arrives as bytes, so that text that is not UTF-8 is
 * seen as such rather than read with U+FFFD in place of its bad bytes.
 */
export class EntryCodec<V> {
  readonly #values: ValueCodec<V>
  readonly #compression: Compression | undefined
  readonly #where: (key: string) => string
  readonly #maxBytes: number
  /** Whether entries may carry a header; without (hash buckets with expiry per bucket), stored data is the value's bytes exactly. */
  readonly #headers: boolean

  /** `where(key)` names an encoded key's place in Redis, for error messages. */
  constructor(
    values: ValueCodec<V>,
    compression: Compression | undefined,
    where: (key: string) => string,
    maxValueBytes = defaultMaxValueBytes,
    headers = true,
  ) {
    this.#values = values
    this.#compression = compression
    this.#where = where
    this.#maxBytes = maxValueBytes
    this.#headers = headers
  }

  /**
   * Encodes a value of `key`: a misfit is a `TypeError` (thrown as is), a custom encoder's failure an
   * `E_ENCODE`, an encoding longer than `maxValueBytes` an `E_TOO_LARGE`.
   */
  encode(key: string, value: V): RedisValue {
    let encoded: RedisValue
    try {
      encoded = this.#values.encode(value)
    } catch (error) {
      if (error instanceof TypeError) throw error
      throw new EncodeError(this.#where(key), { cause: error })
    }
    const bytes = lengthPast(encoded, this.#maxBytes)
    if (bytes !== undefined) throw new ValueTooLargeError(this.#where(key), bytes, this.#maxBytes)
    return encoded
  }

  /** Whether entries may carry a header (times, tags, compression): not with hash buckets whose expiry is per bucket. */
  get headers(): boolean {
    return this.#headers
  }

  /** What to store for an encoded value: raw unless it has times or tags, is compressed, or starts as a header does. */
  frame(encoded: RedisValue, times?: Partial<EntryTimes>): RedisValue {
    const tags = times?.tags
    if (!this.#headers) {
      // The options and calls refuse what would need a header here (compress, grace, refreshAhead, tags).
      if (Number.isFinite(times?.freshUntil ?? never) || Number.isFinite(times?.expiresAt ?? never))
        throw new TypeError('This cache stores values without a header: they cannot carry a time')
      if (tags !== undefined && tags.length > 0)
        throw new TypeError('This cache stores values without a header: they cannot carry tags')
      return encoded
    }
    const section = tags === undefined || tags.length === 0 ? '' : writeStamps(tags)
    return withHeader(
      encoded,
      times?.freshUntil ?? never,
      this.#compression,
      times?.expiresAt ?? never,
      section,
    )
  }

  /** The value a read of `encoded` returns: what L1 keeps of a write (never the caller's own object). */
  copyOf(encoded: RedisValue): V {
    return this.#values.decode(asReply(encoded, this.#values.reply))
  }

  /**
   * `unframe` of each of `raws` (`null` or `undefined`: a miss). Where the value codec keeps
   * definitions in Redis (shared structures) and some value names one not loaded here, the codec
   * loads them once and those values are unframed again: then synchronously no more, but never
   * rejected (a failed load leaves their `DecodeError`s). Synchronous otherwise, as most reads are.
   */
  unframeMany(
    keys: readonly string[],
    raws: readonly (RedisValue | null | undefined)[],
  ): Unframed<V> | Promise<Unframed<V>> {
    const unframed: Unframed<V> = new Array(keys.length)
    let retry: number[] | undefined
    for (let index = 0; index < keys.length; index++) {
      const raw = raws[index]
      if (raw === null || raw === undefined) continue
      const entry = this.unframe(keys[index] as string, raw)
      unframed[index] = entry
      if (entry instanceof DecodeError && entry.cause instanceof UnknownStructureError) {
        retry ??= []
        retry.push(index)
      }
    }
    const { reload } = this.#values
    if (retry === undefined || reload === undefined) return unframed
    const again = retry
    return reload
      .call(this.#values)
      .catch(() => {})
      .then(() => {
        for (const index of again)
          unframed[index] = this.unframe(keys[index] as string, raws[index] as RedisValue)
        return unframed
      })
  }

  /** Loads the value codec's definitions again, where it has any (shared structures); else resolves at once. */
  reload(): Promise<void> {
    return this.#values.reload?.() ?? Promise.resolve()
  }

  /** Stored data as an entry, or the `DecodeError` that says why it is none (never throws). */
  unframe(key: string, raw: RedisValue): Entry<V> | DecodeError {
    try {
      if (!this.#headers || !hasHeader(raw)) {
        checkLength(raw, this.#maxBytes)
        return {
          value: this.#values.decode(asReply(raw, this.#values.reply)),
          freshUntil: never,
          expiresAt: never,
          tags: undefined,
        }
      }
      const { payload, freshUntil, expiresAt, tags } = readHeader(raw, this.#maxBytes)
      return { value: this.#values.decode(asReply(payload, this.#values.reply)), freshUntil, expiresAt, tags }
    } catch (error) {
      return new DecodeError(this.#where(key), 'the value', { cause: error })
    }
  }
}
