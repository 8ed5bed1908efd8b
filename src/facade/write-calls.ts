import { entriesOfCall, type SetCall, setCallOf } from '../call-options.js'
import type { CacheCore } from '../core/cache-core.js'
import type { Duration } from '../expire/duration.js'
import { positiveDuration } from '../expire/option-values.js'
import type { SetOptions } from '../flipcache-types.js'
import { traceKey, traceKeys, traces } from '../observe/operation-trace.js'
import type { ResolvedOptions } from '../options.js'
import type { KeyCodec } from '../types/key-type.js'
import type { RedisValue } from '../types/value-codec.js'
import type { WritePath } from '../write-policy/write-path.js'
import type { FacadeCallsConfig } from './facade-calls.js'

/** What the facade lends its write calls. */
export interface WriteCallsConfig<K, V> extends FacadeCallsConfig {
  options: ResolvedOptions<K, V>
  core: CacheCore<V>
  /** Where writes and deletes go: the cache alone, write-through or write-behind. */
  writes: WritePath<K, V>
}

/**
 * The facade's set, setMany, delete and deleteMany: checked and encoded here (a bad key or value
 * throws before anything is sent), traced when anyone listens, and handed to the write path once
 * the cache has started.
 */
export class WriteCalls<K, V> {
  readonly #config: WriteCallsConfig<K, V>
  readonly #keys: KeyCodec<K>

  constructor(config: WriteCallsConfig<K, V>) {
    this.#config = config
    this.#keys = config.options.keyCodec
  }

  set(key: K, value: V, options: SetOptions | undefined): Promise<void> {
    if (!traces.set.hasSubscribers) return this.#set(key, value, options)
    return traceKey('set', this.#config.name, key, this.#encodeKey, () => this.#set(key, value, options))
  }

  setMany(entries: Iterable<readonly [K, V]>, options: SetOptions | undefined): Promise<void> {
    if (!traces.setMany.hasSubscribers) return this.#setMany(entries, options)
    const list = [...entries]
    return traceKeys('setMany', this.#config.name, list.length, () => this.#setMany(list, options))
  }

  delete(key: K): Promise<boolean> {
    if (!traces.delete.hasSubscribers) return this.#delete(key)
    return traceKey('delete', this.#config.name, key, this.#encodeKey, () => this.#delete(key))
  }

  deleteMany(keys: Iterable<K>): Promise<number> {
    if (!traces.deleteMany.hasSubscribers) return this.#deleteMany(keys)
    const list = [...keys]
    return traceKeys('deleteMany', this.#config.name, list.length, () => this.#deleteMany(list))
  }

  /** A validated write, once the cache has started; tagged values stamped with their tags' counts. */
  async write(pairs: [K, V][], encoded: [string, RedisValue][], call: SetCall): Promise<void> {
    const { pending, core, writes } = this.#config
    const starting = this.#config.starting()
    if (starting !== undefined) await pending.guard(starting)
    const stamps = call.tags === undefined ? undefined : await pending.guard(core.stampsOf(call.tags))
    await writes.write(pairs, encoded, call.ttlMs, stamps)
  }

  /** A dict view's assignment (already encoded and checked): written as set() writes, with the default expiry. */
  writeAssigned(key: K, value: V, encoded: string, encodedValue: RedisValue): Promise<void> {
    return this.write([[key, value]], [[encoded, encodedValue]], {
      ttlMs: this.#config.options.expireMs,
      tags: undefined,
    })
  }

  /** Drains the write-behind queue within `timeout` (see FlipCache.flushNow); 0 at once without one. */
  async flushNow(timeout: number | Duration | undefined): Promise<number> {
    this.#config.checkOpen()
    const timeoutMs = timeout === undefined ? undefined : positiveDuration('timeout', timeout)
    return this.#config.pending.guard(this.#config.writes.flushNow(timeoutMs))
  }

  readonly #encodeKey = (key: K): string => this.#keys.encode(key)

  async #set(key: K, value: V, options: SetOptions | undefined): Promise<void> {
    const { checkOpen, options: resolved, core } = this.#config
    checkOpen()
    const encoded = this.#keys.encode(key)
    const call = setCallOf(options, resolved.expireMs, core.entries.headers)
    const encodedValue = core.encode(encoded, value)
    await this.write([[key, value]], [[encoded, encodedValue]], call)
  }

  async #setMany(entries: Iterable<readonly [K, V]>, options: SetOptions | undefined): Promise<void> {
    const { checkOpen, options: resolved, core } = this.#config
    checkOpen()
    const call = setCallOf(options, resolved.expireMs, core.entries.headers)
    const { pairs, encoded } = entriesOfCall(
      entries,
      (key) => this.#keys.encode(key),
      (key, value) => core.encode(key, value),
    )
    if (encoded.length === 0) return
    await this.write(pairs, encoded, call)
  }

  async #delete(key: K): Promise<boolean> {
    this.#config.checkOpen()
    const encoded = this.#keys.encode(key)
    const starting = this.#config.starting()
    if (starting !== undefined) await this.#config.pending.guard(starting)
    return (await this.#config.writes.remove([key], [encoded])) > 0
  }

  async #deleteMany(keys: Iterable<K>): Promise<number> {
    this.#config.checkOpen()
    const byEncoded = new Map<string, K>()
    for (const key of keys) byEncoded.set(this.#keys.encode(key), key)
    const starting = this.#config.starting()
    if (starting !== undefined) await this.#config.pending.guard(starting)
    if (byEncoded.size === 0) return 0
    return this.#config.writes.remove([...byEncoded.values()], [...byEncoded.keys()])
  }
}
