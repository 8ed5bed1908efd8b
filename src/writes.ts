import { DecodeError, EncodeError, type FlipCacheError } from './errors.js'
import type { LocalTier } from './local/local-tier.js'
import type { Lookups } from './lookups.js'
import type { Store } from './remote/store.js'
import type { StatsCounter } from './stats.js'
import type { Coherence } from './sync/coherence.js'
import { type Compression, withHeader } from './types/entry-header.js'
import { asReply, type RedisValue, type ValueCodec } from './types/value-codec.js'

export interface WritesConfig<K, V> {
  store: Store
  local: LocalTier<V>
  lookups: Lookups<V>
  coherence: Coherence<K, V>
  codec: ValueCodec<V>
  compression: Compression | undefined
  stats: StatsCounter
  report: (error: FlipCacheError) => void
}

/**
 * The write path: Redis first, then L1; reads on their way for the keys may not fill L1 with what
 * they saw before; the other instances hear of the keys in the same round trip.
 */
export class Writes<K, V> {
  readonly #config: WritesConfig<K, V>

  constructor(config: WritesConfig<K, V>) {
    this.#config = config
  }

  /** Encodes a value for `key`; a custom encoder's failure is an `E_ENCODE`, a misfit a `TypeError`. */
  encode(key: string, value: V): RedisValue {
    try {
      return this.#config.codec.encode(value)
    } catch (error) {
      if (error instanceof TypeError) throw error
      throw new EncodeError(this.#config.store.redisKey(key), { cause: error })
    }
  }

  /**
   * Writes encoded values (framed with a header when they need one), then keeps what a read would
   * return in L1. `freshUntil` is the logical expiry of getOrSet values written with grace or
   * refresh-ahead; plain writes have none and stay raw.
   */
  async write(
    entries: [key: string, encoded: RedisValue][],
    ttlMs: number | null,
    freshUntil = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    const { store, local, lookups, coherence, codec, compression, stats, report } = this.#config
    const keys = entries.map(([key]) => key)
    // Reads and writes of these keys already on their way must not fill L1 after this one...
    for (const key of keys) lookups.invalidate(key)
    // ...and this one must not, if the keys change again before it lands.
    const ticket = lookups.beginWrite(keys)
    coherence.written(keys)
    const startedAt = Date.now()
    // Hash fields have no TTL of their own: their expiry travels in their header.
    const expiresAt = store.expiryInValue && ttlMs !== null ? startedAt + ttlMs : Number.POSITIVE_INFINITY
    const stored = entries.map(([key, encoded]): [string, RedisValue] => [
      key,
      withHeader(encoded, freshUntil, compression, expiresAt),
    ])
    try {
      await store.write(stored, ttlMs)
    } catch (error) {
      // Whether Redis applied the write is unknown, so no copy of the key may be trusted.
      for (const key of keys) local.delete(key)
      stats.errors++
      throw error
    } finally {
      lookups.endWrite(keys, ticket)
    }
    stats.sets += entries.length
    if (!local.enabled) return
    const redisUntil = ttlMs === null ? Number.POSITIVE_INFINITY : startedAt + ttlMs
    for (const [key, encoded] of entries) {
      if (ticket.stale?.has(key)) continue
      // L1 keeps what a read from Redis would return, not the caller's object (which the caller may change).
      try {
        local.set(key, codec.decode(asReply(encoded, codec.reply)), startedAt, redisUntil, freshUntil)
      } catch (error) {
        local.delete(key)
        report(new DecodeError(store.redisKey(key), 'the value just written', { cause: error }))
      }
    }
  }

  /** Removes `keys` from L1 and Redis (one UNLINK); resolves to how many Redis had. */
  async remove(keys: string[]): Promise<number> {
    const { store, local, lookups, coherence, stats } = this.#config
    for (const key of keys) {
      lookups.invalidate(key)
      local.delete(key)
    }
    coherence.written(keys, true)
    try {
      const removed = await store.remove(keys)
      stats.deletes += removed
      return removed
    } catch (error) {
      stats.errors++
      throw error
    }
  }
}
