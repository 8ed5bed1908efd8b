import * as clock from '../clock.js'
import type { Entry, EntryCodec } from '../entry/entry-codec.js'
import { DecodeError, type FlipCacheError } from '../errors.js'
import type { ScanBatch, Store } from '../store/store.js'
import type { KeyCodec } from '../types/key-type.js'
import type { RedisValue } from '../types/value-codec.js'
import { MISSING } from './reads.js'

export interface NamespaceScanConfig<K, V> {
  store: Store
  keys: KeyCodec<K>
  entries: EntryCodec<V>
  /** Reports a key or value that does not decode (it is skipped). */
  report: (error: FlipCacheError) => void
  /** Counts a failed Redis operation. */
  failed: () => void
}

/**
 * `keys()` and `entries()`: the namespace walked with SCAN (never KEYS), each key once although
 * SCAN may repeat one, decoded to its type; what does not decode is reported and skipped.
 */
export class NamespaceScan<K, V> {
  readonly #config: NamespaceScanConfig<K, V>

  constructor(config: NamespaceScanConfig<K, V>) {
    this.#config = config
  }

  /**
   * Every key once. Where the scan read the values anyway (hash buckets, whose fields carry their
   * expiry), a key whose entry has expired or does not unframe is left out, as get() would.
   */
  async *keys(): AsyncGenerator<K, void, undefined> {
    for await (const batch of this.#distinctBatches()) {
      const now = clock.now()
      for (const [index, key] of batch.keys.entries()) {
        const raw = batch.values?.[index]
        if (raw !== undefined && this.#live(key, raw, now) === undefined) continue
        const decoded = this.#decodeKey(key)
        if (decoded !== MISSING) yield decoded
      }
    }
  }

  /**
   * One MGET per SCAN batch (none when the scan read the values already, as for hash buckets); stale
   * values (kept only for getOrSet's grace) are left out, as get() would.
   */
  async *entries(): AsyncGenerator<[K, V], void, undefined> {
    const { store, failed } = this.#config
    for await (const batch of this.#distinctBatches()) {
      let values: (string | Buffer | null)[]
      try {
        values = batch.values ?? (await store.read(batch.keys, false)).values
      } catch (error) {
        failed()
        throw error
      }
      const now = clock.now()
      for (const [index, key] of batch.keys.entries()) {
        const raw = values[index]
        if (raw === null || raw === undefined) continue
        const entry = this.#live(key, raw, now)
        if (entry === undefined || entry.freshUntil <= now) continue
        const decodedKey = this.#decodeKey(key)
        if (decodedKey !== MISSING) yield [decodedKey, entry.value]
      }
    }
  }

  /** The entry `raw` holds while it lives; a decode failure is reported. */
  #live(key: string, raw: RedisValue, now: number): Entry<V> | undefined {
    const entry = this.#config.entries.unframe(key, raw)
    if (entry instanceof DecodeError) {
      this.#config.report(entry)
      return undefined
    }
    return entry.expiresAt > now ? entry : undefined
  }

  /** The store's scan batches, each key in only the first batch that has it. */
  async *#distinctBatches(): AsyncGenerator<ScanBatch, void, undefined> {
    const seen = new Set<string>()
    try {
      for await (const { keys, values } of this.#config.store.scan()) {
        const firsts: number[] = []
        keys.forEach((key, index) => {
          if (seen.has(key)) return
          seen.add(key)
          firsts.push(index)
        })
        if (firsts.length === 0) continue
        yield {
          keys: firsts.map((index) => keys[index] as string),
          ...(values === undefined ? {} : { values: firsts.map((index) => values[index] as RedisValue) }),
        }
      }
    } catch (error) {
      this.#config.failed()
      throw error
    }
  }

  #decodeKey(key: string): K | typeof MISSING {
    try {
      return this.#config.keys.decode(key)
    } catch (error) {
      this.#config.report(new DecodeError(this.#config.store.redisKey(key), 'the key', { cause: error }))
      return MISSING
    }
  }
}
