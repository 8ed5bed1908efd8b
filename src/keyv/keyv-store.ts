import { EventEmitter } from 'node:events'
import type { FlipCache } from '../flipcache.js'
import { setOptionsOfTtl } from './keyv-ttl.js'

/** Options of {@link FlipCacheKeyvStore}. */
export interface FlipCacheKeyvStoreOptions {
  /**
   * Whether `disconnect()` (Keyv's, which cache-manager's and NestJS's shutdown call) closes the
   * cache. Set it only when the store owns the cache: nothing else uses it, and it is closed nowhere
   * else. A cache you keep using elsewhere is left open, as flipcache leaves a client you passed in.
   * @default false
   */
  closeOnDisconnect?: boolean
}

/** The events the store emits; Keyv listens to 'error' and re-emits it on the Keyv instance. */
export interface FlipCacheKeyvStoreEvents {
  error: [error: unknown]
}

/** Keys deleted per round trip when clear() removes one Keyv namespace. */
const clearBatch = 500

/**
 * A Keyv storage adapter over a FlipCache: `new Keyv({ store: new FlipCacheKeyvStore(cache) })`,
 * and through Keyv cache-manager 7, cacheable and NestJS's CacheModule get flipcache's L1 and its
 * cross-instance invalidation. Values reach the cache as Keyv hands them over: its serialized
 * strings by default (give the cache `valueType: 'string'`), or `{ value, expires }` objects when
 * Keyv's `serialize` and `deserialize` are `undefined`. Keys arrive prefixed by Keyv with its
 * namespace (`keyv:` by default), so one cache can hold several Keyv namespaces. See docs/keyv.md.
 */
export class FlipCacheKeyvStore<V = unknown> extends EventEmitter<FlipCacheKeyvStoreEvents> {
  /** The cache the store reads and writes. */
  readonly cache: FlipCache<string, V>
  /** Keyv's namespace, which Keyv sets: clear() and iterator() keep to keys prefixed `${namespace}:`. */
  namespace: string | undefined
  /**
   * What Keyv 5 reads of an adapter: it offers `keyv.iterator()` only for an adapter whose `dialect`
   * is one it knows to iterate (flipcache iterates its namespace with SCAN, as Redis adapters do).
   */
  readonly opts: { dialect: 'redis'; url: string; closeOnDisconnect: boolean }

  constructor(cache: FlipCache<string, V>, options: FlipCacheKeyvStoreOptions = {}) {
    super()
    if (typeof cache !== 'object' || cache === null || typeof cache.entries !== 'function') {
      throw new TypeError(
        `Expected a FlipCache as the store's cache, got ${cache === null ? 'null' : typeof cache}`,
      )
    }
    const { closeOnDisconnect = false } = options
    if (typeof closeOnDisconnect !== 'boolean') {
      throw new TypeError(
        `Expected \`closeOnDisconnect\` to be a boolean, got ${String(closeOnDisconnect)} (${typeof closeOnDisconnect})`,
      )
    }
    this.cache = cache
    this.namespace = undefined
    this.opts = { dialect: 'redis', url: `flipcache://${cache.name}`, closeOnDisconnect }
  }

  /** The value Keyv stored at `key`; `undefined` when absent, or when the cache failed (reported as 'error'). */
  async get(key: string): Promise<V | undefined> {
    try {
      return await this.cache.get(key)
    } catch (error) {
      return this.#missOn(error, undefined)
    }
  }

  /** The values at `keys` in their order (L1 hits locally, the rest in one round trip); misses when the cache failed. */
  async getMany(keys: string[]): Promise<(V | undefined)[]> {
    try {
      return await this.cache.getMany(keys)
    } catch (error) {
      return this.#missOn(
        error,
        keys.map(() => undefined),
      )
    }
  }

  /** Whether `key` exists (a live L1 copy answers at once); `false` when the cache failed. */
  async has(key: string): Promise<boolean> {
    try {
      return await this.cache.has(key)
    } catch (error) {
      return this.#missOn(error, false)
    }
  }

  /**
   * Writes `value` with Keyv's `ttl` in ms (`undefined`: the cache's `expireTime`); a ttl of 0 or
   * less deletes the key. Rejects when the write fails: Keyv turns that into an 'error' event and `false`.
   */
  async set(key: string, value: V, ttl?: number): Promise<boolean> {
    const options = setOptionsOfTtl(ttl)
    if (options === 'expired') {
      await this.cache.delete(key)
      return true
    }
    await this.cache.set(key, value, options)
    return true
  }

  /** Removes `key` from Redis and every instance's L1; whether Redis had it. */
  delete(key: string): Promise<boolean> {
    return this.cache.delete(key)
  }

  /** Removes `keys` in one round trip; whether Redis had every one of them (Keyv's own fallback answers so). */
  async deleteMany(keys: string[]): Promise<boolean> {
    const distinct = new Set(keys)
    return (await this.cache.deleteMany(distinct)) === distinct.size
  }

  /**
   * Removes the keys of Keyv's namespace (`${namespace}:*`, found with SCAN, deleted in batches, and
   * invalidated on every instance); the whole cache namespace (`cache.clear()`) when Keyv has none.
   * Other Keyv namespaces and keys not written through Keyv are left alone.
   */
  async clear(): Promise<void> {
    const prefix = this.#prefixOf(this.namespace)
    if (prefix === undefined) return this.cache.clear()
    let batch: string[] = []
    for await (const key of this.cache.keys()) {
      if (!key.startsWith(prefix)) continue
      batch.push(key)
      if (batch.length >= clearBatch) {
        await this.cache.deleteMany(batch)
        batch = []
      }
    }
    if (batch.length > 0) await this.cache.deleteMany(batch)
  }

  /**
   * Every `[key, value]` of `namespace` (Keyv passes its own), keys still prefixed as Keyv wrote
   * them: the cache's entries(), one SCAN batch and one MGET at a time. Rejects when the cache fails.
   */
  async *iterator(namespace?: string): AsyncGenerator<[string, V], void, undefined> {
    const prefix = this.#prefixOf(namespace)
    for await (const entry of this.cache.entries()) {
      if (prefix === undefined || entry[0].startsWith(prefix)) yield entry
    }
  }

  /** Closes the cache with `closeOnDisconnect: true`; otherwise leaves it open for its owner. */
  async disconnect(): Promise<void> {
    if (this.opts.closeOnDisconnect) await this.cache.close()
  }

  #prefixOf(namespace: string | undefined): string | undefined {
    return namespace === undefined || namespace === '' ? undefined : `${namespace}:`
  }

  /**
   * A read that failed is a miss, as Keyv treats a store's failed get: the error goes to 'error'
   * (Keyv re-emits it on the Keyv instance). Without a listener, nobody would hear of it: rethrown.
   */
  #missOn<T>(error: unknown, miss: T): T {
    if (this.listenerCount('error') === 0) throw error
    this.emit('error', error)
    return miss
  }
}

/** `new FlipCacheKeyvStore(cache, options)`, for those who prefer a function. */
export function createKeyvStore<V>(
  cache: FlipCache<string, V>,
  options?: FlipCacheKeyvStoreOptions,
): FlipCacheKeyvStore<V> {
  return new FlipCacheKeyvStore(cache, options)
}
