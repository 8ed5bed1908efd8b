import { checkLoadFits } from '../bucket-options.js'
import { byOnlyArgument, checkLoader, keysOfCall } from '../call-options.js'
import * as clock from '../clock.js'
import type { CacheCore } from '../core/cache-core.js'
import type { CacheState } from '../core/cache-state.js'
import type { Flight } from '../core/reads.js'
import { describe } from '../errors.js'
import type { WrapOptionsArg } from '../flipcache-types.js'
import { loaderStandsFor } from '../loading/failure-backoff.js'
import { type GetOrSetOptions, type ResolvedLoad, resolveLoad } from '../loading/load-options.js'
import type { BatchLoader, Loader, ReadThrough } from '../loading/read-through.js'
import type { OperationContext } from '../observe/channels.js'
import { noTiers, traceKey, traceKeys, traces } from '../observe/operation-trace.js'
import type { ResolvedOptions } from '../options.js'
import type { KeyCodec } from '../types/key-type.js'
import type { FacadeCallsConfig } from './facade-calls.js'

/** The cache's parts its read-through calls use. */
export interface ReadThroughParts<K, V> {
  state: CacheState<V, Flight<V>>
  core: CacheCore<V>
  readThrough: ReadThrough<K, V>
}

/** What the facade lends its read-through calls besides its parts. */
export interface ReadThroughCallsConfig<K, V> extends FacadeCallsConfig {
  options: ResolvedOptions<K, V>
  keysAreStrings: boolean
}

/**
 * The facade's getOrSet, getOrSetMany and wrap: checked and encoded here, traced when anyone listens
 * (wrap's calls as getOrSet's), answered from L1 when it holds the key, else handed to read-through.
 */
export class ReadThroughCalls<K, V> {
  readonly #config: ReadThroughCallsConfig<K, V> & ReadThroughParts<K, V>
  readonly #keys: KeyCodec<K>

  constructor(parts: ReadThroughParts<K, V>, config: ReadThroughCallsConfig<K, V>) {
    const { state, core, readThrough } = parts
    this.#config = { ...config, state, core, readThrough }
    this.#keys = config.options.keyCodec
  }

  /** Stops read-through (see `ReadThrough.close`): loads running get `ms` to finish. */
  close(ms: number): Promise<void> {
    return this.#config.readThrough.close(ms)
  }

  getOrSet(key: K, loader: Loader<K, V>, options: GetOrSetOptions | undefined): Promise<V> {
    if (!traces.getOrSet.hasSubscribers) return this.#getOrSetCall(key, loader, options)
    return this.#traced(key, (seen) => this.#getOrSetCall(key, loader, options, seen))
  }

  getOrSetMany(
    keys: Iterable<K>,
    loader: BatchLoader<K, V>,
    options: GetOrSetOptions | undefined,
  ): Promise<V[]> {
    if (!traces.getOrSetMany.hasSubscribers) return this.#getOrSetMany(keys, loader, options)
    const list = [...keys]
    return traceKeys('getOrSetMany', this.#config.name, list.length, (seen) =>
      this.#getOrSetMany(list, loader, options, seen),
    )
  }

  wrap<F extends (...args: never[]) => Promise<V> | V>(
    fn: F,
    options: WrapOptionsArg<K, Parameters<F>>[0] = {},
  ): (...args: Parameters<F>) => Promise<V> {
    type A = Parameters<F>
    if (typeof fn !== 'function')
      throw new TypeError(`Expected wrap() to get a function, got ${describe(fn)}`)
    const { key: keyOf = byOnlyArgument as (...args: A) => K, ...loadOptions } = options
    if (typeof keyOf !== 'function') {
      throw new TypeError(`Expected the \`key\` option of wrap() to be a function, got ${describe(keyOf)}`)
    }
    const load = this.#loadOf(loadOptions)
    const call = async (args: A, seen?: OperationContext, traced?: { key: K }): Promise<V> => {
      this.#config.checkOpen()
      await this.#started()
      // Every call's closure backs off as `fn`: a failing fn is not called again within its wait.
      const loader = loaderStandsFor(() => fn(...(args as never[])), fn)
      return this.#getOrSet(traced === undefined ? keyOf(...args) : traced.key, loader, load, seen)
    }
    return (...args: A): Promise<V> => {
      if (!traces.getOrSet.hasSubscribers) return call(args)
      let key: K
      try {
        key = keyOf(...args)
      } catch (error) {
        return Promise.reject(error)
      }
      return this.#traced(key, (seen) => call(args, seen, { key }))
    }
  }

  /**
   * getOrSet's L1 hit, as in get() (no validation of a string key, no read-through machinery), or
   * read-through.
   */
  #getOrSet(key: K, loader: Loader<K, V>, load: ResolvedLoad, seen?: OperationContext): Promise<V> | V {
    const { state, core, readThrough, options, pending } = this.#config
    const unchecked = this.#config.keysAreStrings && typeof key === 'string'
    const encoded = unchecked ? (key as string) : this.#keys.encode(key)
    const now = clock.now()
    const entry = state.local(encoded, now)
    if (entry !== undefined) {
      if (load.refreshAhead !== undefined) readThrough.refreshAheadIfDue(key, encoded, loader, load, entry)
      if (seen !== undefined) seen.tier = 'l1'
      return core.hit(encoded, entry, now)
    }
    if (unchecked) this.#keys.encode(key)
    const loading = readThrough.getOrSet(key, encoded, loader, load, seen)
    // With cloneOnRead, callers joined on one read or load get a copy each, as L1 hits do.
    const served = options.cloneOnRead ? loading.then((value) => core.copy(encoded, value)) : loading
    return pending.guard(served)
  }

  async #getOrSetCall(
    key: K,
    loader: Loader<K, V>,
    options: GetOrSetOptions | undefined,
    seen?: OperationContext,
  ): Promise<V> {
    this.#config.checkOpen()
    checkLoader(loader)
    const load = options === undefined ? this.#config.options.load : this.#loadOf(options)
    const starting = this.#config.starting()
    if (starting !== undefined) await this.#config.pending.guard(starting)
    return this.#getOrSet(key, loader, load, seen)
  }

  async #getOrSetMany(
    keys: Iterable<K>,
    loader: BatchLoader<K, V>,
    options: GetOrSetOptions | undefined,
    seen?: OperationContext,
  ): Promise<V[]> {
    const { pending, readThrough } = this.#config
    this.#config.checkOpen()
    checkLoader(loader)
    const { given: list, encoded } = keysOfCall(keys, (key) => this.#keys.encode(key))
    const load = options === undefined ? this.#config.options.load : this.#loadOf(options)
    if (list.length === 0) return []
    await this.#started()
    const encodeKey = (key: K): string => this.#keys.encode(key)
    if (seen !== undefined) seen.tiers = noTiers()
    return pending.guard(readThrough.getOrSetMany(list, encoded, loader, load, encodeKey, seen?.tiers))
  }

  /** Resolves once the cache has started (E_CLOSED if it closes first). */
  async #started(): Promise<void> {
    const starting = this.#config.starting()
    if (starting !== undefined) await this.#config.pending.guard(starting)
  }

  /** `call` traced as a getOrSet of `key`. */
  #traced<T>(key: K, call: (seen: OperationContext) => Promise<T>): Promise<T> {
    return traceKey('getOrSet', this.#config.name, key, (given: K) => this.#keys.encode(given), call)
  }

  /** One call's getOrSet options over the cache's, checked against its storage. */
  #loadOf(options: GetOrSetOptions): ResolvedLoad {
    const load = resolveLoad(options, this.#config.options.load)
    checkLoadFits(this.#config.options.buckets, load)
    return load
  }
}
