import type { CacheCore } from '../core/cache-core.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import type { RedisValue } from '../types/value-codec.js'
import type { WriteThroughOption } from './write-options.js'
import type { WritePath } from './write-path.js'

/**
 * Write-through: the source of truth first, then Redis and L1. A write the source rejects reaches
 * no cache (the call rejects with the source's error). When the source accepted and Redis failed,
 * the keys are removed from Redis and every L1 (UNLINK and its notice): the old value may no longer
 * be served as fresh; the call rejects with the Redis error. Writes of a key by this instance reach
 * the source and Redis in the order they were made.
 */
export class WriteThrough<K, V> implements WritePath<K, V> {
  readonly #core: CacheCore<V>
  readonly #source: WriteThroughOption<K, V>
  /** The last write-through of each key by this instance, which the next one of the key waits for. */
  readonly #tails = new Map<string, Promise<void>>()

  constructor(core: CacheCore<V>, source: WriteThroughOption<K, V>) {
    this.#core = core
    this.#source = source
  }

  write(
    pairs: [K, V][],
    encoded: [string, RedisValue][],
    ttlMs: number | null,
    tags?: readonly TagStamp[],
  ): Promise<void> {
    const keys = encoded.map(([key]) => key)
    return this.#inOrder(keys, async () => {
      await this.#source.write(pairs)
      try {
        await this.#core.write(encoded, ttlMs, undefined, undefined, tags)
      } catch (error) {
        await this.#invalidate(keys)
        throw error
      }
    })
  }

  remove(keys: K[], encoded: string[]): Promise<number> {
    return this.#inOrder(encoded, async () => {
      await this.#source.delete(keys)
      return this.#core.remove(encoded)
    })
  }

  async flushNow(): Promise<number> {
    return 0
  }

  async close(): Promise<void> {}

  /** Removes keys whose write reached the source but maybe not Redis; a failure here is the caller's already. */
  async #invalidate(keys: string[]): Promise<void> {
    await this.#core.remove(keys).catch(() => {})
  }

  /** Runs `work` once the earlier write-throughs of `keys` by this instance settled. */
  #inOrder<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const earlier = keys.flatMap((key) => this.#tails.get(key) ?? [])
    const running = earlier.length === 0 ? work() : Promise.allSettled(earlier).then(work)
    const tail = running.then(
      () => {},
      () => {},
    )
    for (const key of keys) this.#tails.set(key, tail)
    tail.then(() => {
      for (const key of keys) if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return running
  }
}
