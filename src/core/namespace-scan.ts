import * as clock from '../clock.js'
import type { Entry, EntryCodec } from '../entry/entry-codec.js'
import type { ReportContext } from '../error-reporter.js'
import { DecodeError, type FlipCacheError } from '../errors.js'
import type { ScanBatch, Store } from '../store/store.js'
import type { TagVerdict } from '../tags/tag-versions.js'
import type { KeyCodec } from '../types/key-type.js'
import type { RedisValue } from '../types/value-codec.js'
import { MISSING } from './reads.js'

export interface NamespaceScanConfig<K, V> {
  store: Store
  keys: KeyCodec<K>
  entries: EntryCodec<V>
  /** Reports a key or value that does not decode (it is skipped). */
  report: (error: FlipCacheError, context?: ReportContext) => void
  /** Counts a failed Redis operation. */
  failed: () => void
  /** What the tags of each entry say of it (`undefined`: no tags); unknown counts are read from Redis. */
  judge: (entries: readonly (Entry<V> | undefined)[], now: number) => Promise<(TagVerdict | undefined)[]>
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
   * expiry), a key whose entry has expired, does not unframe or was invalidated by a tag is left
   * out, as get() would; a string key is listed while Redis holds it.
   */
  async *keys(): AsyncGenerator<K, void, undefined> {
    for await (const batch of this.#distinctBatches()) {
      const now = clock.now()
      const { values } = batch
      const live = values === undefined ? undefined : await this.#judged(batch.keys, values, now)
      for (const [index, key] of batch.keys.entries()) {
        if (live !== undefined && live[index] === undefined) continue
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
      const live = await this.#judged(batch.keys, values, now)
      for (const [index, key] of batch.keys.entries()) {
        const entry = live[index]
        if (entry === undefined || entry.freshUntil <= now) continue
        const decodedKey = this.#decodeKey(key)
        if (decodedKey !== MISSING) yield [decodedKey, entry.value]
      }
    }
  }

  /**
   * The entry each value holds while it lives (a tag's soft invalidation makes it stale), else
   * `undefined`; a decode failure is reported.
   */
  async #judged(
    keys: readonly string[],
    values: readonly (RedisValue | null | undefined)[],
    now: number,
  ): Promise<(Entry<V> | undefined)[]> {
    // A plain loop: a decode error's stack would keep a closure's context (every value) alive.
    const live = new Array<Entry<V> | undefined>(keys.length)
    const unframed = await this.#config.entries.unframeMany(keys, values)
    for (let index = 0; index < keys.length; index++) {
      const entry = unframed[index]
      if (entry === undefined) continue
      if (entry instanceof DecodeError) this.#config.report(entry, { operation: 'scan' })
      else if (entry.expiresAt > now) live[index] = entry
    }
    if (!live.some((entry) => entry?.tags !== undefined)) return live
    let verdicts: (TagVerdict | undefined)[]
    try {
      verdicts = await this.#config.judge(live, now)
    } catch (error) {
      this.#config.failed()
      throw error
    }
    return live.map((entry, index) => {
      const verdict = verdicts[index]
      if (entry === undefined || verdict === 'gone') return undefined
      return verdict === 'stale' ? { ...entry, freshUntil: 0 } : entry
    })
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
      this.#config.report(new DecodeError(this.#config.store.redisKey(key), 'the key', { cause: error }), {
        operation: 'scan',
      })
      return MISSING
    }
  }
}
