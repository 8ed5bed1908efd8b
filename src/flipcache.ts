import { EventEmitter } from 'node:events'
import { assembleCache } from './cache-parts.js'
import { keysOfCall } from './call-options.js'
import * as clock from './clock.js'
import type { CacheCore } from './core/cache-core.js'
import type { CacheState } from './core/cache-state.js'
import type { Flight } from './core/reads.js'
import { ErrorReporter, emitApart } from './error-reporter.js'
import { CacheClosedError, RedisUnavailableError } from './errors.js'
import type { Duration } from './expire/duration.js'
import { cacheDictPort } from './facade/cache-dict-port.js'
import { type Dict, type DictView, dictView } from './facade/dict-view.js'
import { NamespaceCalls } from './facade/namespace-calls.js'
import { ReadThroughCalls } from './facade/read-through-calls.js'
import { WriteCalls } from './facade/write-calls.js'
import type { FlipCacheEvents, InvalidateTagsOptions, SetOptions, WrapOptionsArg } from './flipcache-types.js'
import type { GetOrSetOptions } from './loading/load-options.js'
import type { BatchLoader, Loader } from './loading/read-through.js'
import type { Locks } from './lock/locks.js'
import { namespacesOf } from './namespaces.js'
import type { OperationContext, TracedOperation } from './observe/channels.js'
import { tellBreaker } from './observe/events.js'
import { noTiers, traceKey, traceKeys, traces } from './observe/operation-trace.js'
import {
  type AnyFlipCacheOptions,
  checkApartFromLocks,
  checkName,
  keyPrefixOf,
  type ResolvedOptions,
  resolveOptions,
} from './options.js'
import { PendingCalls } from './pending-calls.js'
import { type Connection, disconnect } from './redis/connection.js'
import { serverOf } from './redis/server-name.js'
import { transportOf } from './redis/transport.js'
import { type CacheStats, StatsCounter } from './stats.js'
import type { Coherence } from './sync/coherence.js'
import type { KeyCodec } from './types/key-type.js'
import { within } from './within.js'
import type { WritePath } from './write-policy/write-path.js'

/**
 * A two-tier key-value store: a bounded in-process LRU of decoded values (L1) in front of the
 * namespaced Redis keys `name:key` (L2). One instance per data set; instances may share a client.
 */
export class FlipCache<K = string, V = unknown, Miss = undefined> extends EventEmitter<FlipCacheEvents<K>> {
  /** The namespace: entry `k` lives at the Redis key `${name}:${encoded k}` (see `version`). */
  readonly name: string
  /** The `version` option as keys carry it (entry `k` then lives at `${name}:v${version}:${encoded k}`), or `undefined`. */
  readonly version: string | undefined
  readonly #options: ResolvedOptions<K, V>
  readonly #keys: KeyCodec<K>
  readonly #keysAreStrings: boolean
  readonly #connection: Connection
  readonly #core: CacheCore<V>
  /** The core's state, held here too: an L1 hit is one lookup away from the caller. */
  readonly #state: CacheState<V, Flight<V>>
  readonly #coherence: Coherence<K, V>
  readonly #locks: Locks
  #starting: Promise<void> | undefined
  /** getOrSet, getOrSetMany and wrap, from the facade's side (facade/read-through-calls.ts). */
  readonly #reading: ReadThroughCalls<K, V>
  readonly #stats = new StatsCounter()
  readonly #reporter: ErrorReporter
  #closing: Promise<void> | undefined
  /** Calls waiting on Redis, a load or a lock holder: close() rejects them all with E_CLOSED. */
  readonly #pending = new PendingCalls()
  readonly #leaveTransport: () => void
  /** Leaves the client's register of open namespaces (see namespaces.ts). */
  readonly #leaveNamespace: () => void
  /** Where set, setMany, delete and deleteMany go: the cache alone, write-through or write-behind. */
  readonly #writes: WritePath<K, V>
  /** set, setMany, delete and deleteMany, from the facade's side (facade/write-calls.ts). */
  readonly #writing: WriteCalls<K, V>
  /** invalidateTags, clear, clearVersions, keys and entries (facade/namespace-calls.ts). */
  readonly #namespace: NamespaceCalls<K, V>
  /** The dict view, once asDict() made it. */
  #dict: Dict<K, V, Miss> | undefined

  constructor(name: string, options?: AnyFlipCacheOptions<K, V>) {
    super()
    checkName(name)
    this.name = name
    this.#options = resolveOptions(options)
    this.version = this.#options.version
    checkApartFromLocks(
      name,
      keyPrefixOf(name, this.#options.hashTag, this.version, this.#options.keySeparator),
      this.#options.lockPrefix,
      this.#options.tagPrefix,
    )
    this.#reporter = new ErrorReporter({
      emitter: this,
      name,
      counted: () => {
        this.#stats.errors++
      },
      logger: this.#options.logger,
      server: () => (this.#connection === undefined ? undefined : serverOf(this.#connection.client)),
    })
    this.#keys = this.#options.keyCodec
    this.#keysAreStrings = options?.keyType === undefined || options.keyType === 'string'
    const parts = assembleCache(name, this.#options, {
      emitter: this,
      stats: this.#stats,
      report: (error, context) => this.#reporter.report(error, context),
      closed: () => this.#closing !== undefined,
    })
    this.#connection = parts.connection
    this.#state = parts.state
    this.#core = parts.core
    this.#coherence = parts.coherence
    this.#locks = parts.locks
    this.#reading = new ReadThroughCalls<K, V>(parts, {
      name,
      options: this.#options,
      keysAreStrings: this.#keysAreStrings,
      pending: this.#pending,
      checkOpen: () => this.#checkOpen(),
      starting: () => this.#starting,
    })
    this.#writes = parts.writes
    this.#writing = new WriteCalls<K, V>({
      name,
      options: this.#options,
      core: this.#core,
      writes: parts.writes,
      pending: this.#pending,
      checkOpen: () => this.#checkOpen(),
      starting: () => this.#starting,
    })
    this.#namespace = new NamespaceCalls<K, V>({
      name,
      core: this.#core,
      scan: parts.scan,
      oldVersions: parts.oldVersions,
      pending: this.#pending,
      checkOpen: () => this.#checkOpen(),
      starting: () => this.#starting,
    })
    this.#starting = parts.starting?.then(() => {
      this.#starting = undefined
    })
    const client = this.#connection.client
    this.#leaveNamespace = namespacesOf(client).enter({ prefix: parts.keyPrefix, kind: 'FlipCache', name })
    // The client's breakers are shared by its caches: each hears every change, until it closes.
    this.#leaveTransport = transportOf(client).breakers.join(name, this.#options.breaker, (change) => {
      tellBreaker(name, change)
      emitApart(this, 'redis', change)
    })
    if (this.#connection.owned) this.#reporter.watchOwnedClient(client, () => this.#closing !== undefined)
  }

  /**
   * Resolves once the cache hears the other instances (its sync subscription, and tracking, are in
   * place), or once Redis refused the subscription (reported as `E_SYNC_REFUSED`; L1 then stays
   * off); at once with `sync: 'none'`. Rejects with `E_REDIS` when neither happened within
   * `timeout` (Redis unreachable, say): the cache keeps trying, without L1 until it holds. The first
   * calls wait for it themselves, for at most `timeout`.
   */
  ready(): Promise<void> {
    this.#checkOpen()
    const { timeoutMs } = this.#options
    return within(this.#coherence.ready, timeoutMs, () => {
      throw new RedisUnavailableError(
        `FlipCache \`${this.name}\` is not ready within ${timeoutMs} ms: its sync subscription is not in place (is Redis reachable?); it keeps trying, with L1 off until then`,
      )
    })
  }

  /**
   * The value of `key` from L1 or Redis while it is fresh; otherwise `loader`'s, loaded once across
   * every process and stored. Within `grace` a stale value is served while it refreshes; if the
   * loader fails, the stale value is the fallback. See docs/read-through.md.
   */
  getOrSet(key: K, loader: Loader<K, V>, options?: GetOrSetOptions): Promise<V> {
    return this.#reading.getOrSet(key, loader, options)
  }

  /**
   * getOrSet for many keys: their values in key order. L1 hits are answered locally, the other keys
   * read in one round trip, and the keys still missing loaded by one call of `loader(keys, ctx)`
   * (a Map of exactly those keys, or an array in their order; else `E_LOADER_RESULT`) and stored in
   * one write, each key once across every process, as getOrSet's. See docs/read-through.md.
   */
  getOrSetMany(keys: Iterable<K>, loader: BatchLoader<K, V>, options?: GetOrSetOptions): Promise<V[]> {
    return this.#reading.getOrSetMany(keys, loader, options)
  }

  /**
   * `fn` memoized through getOrSet: its result for the key `options.key(...args)` is loaded once and
   * served from the cache after. Without `key`, a call is keyed by its one argument, and a call with
   * more than one argument is refused (`TypeError`) rather than keyed by a part of them; the types
   * require `key` unless `fn` takes exactly one argument of the key type.
   */
  wrap<F extends (...args: never[]) => Promise<V> | V>(
    fn: F,
    ...[options = {}]: WrapOptionsArg<K, Parameters<F>>
  ): (...args: Parameters<F>) => Promise<V> {
    return this.#reading.wrap(fn, options)
  }

  /** The value of `key`: from L1 when it holds a live copy, else from Redis; `valueDefault` on a miss. */
  get(key: K): Promise<V | Miss> {
    if (!traces.get.hasSubscribers) return this.#get(key)
    return this.#tracedKey('get', key, (seen) => this.#get(key, seen))
  }

  async #get(key: K, seen?: OperationContext): Promise<V | Miss> {
    this.#checkOpen()
    // A string key is its own encoding, and one that would fail validation cannot be in L1: so an L1
    // hit skips validation, and a miss validates before going to Redis.
    const unchecked = this.#keysAreStrings && typeof key === 'string'
    const encoded = unchecked ? (key as string) : this.#keys.encode(key)
    if (this.#starting !== undefined) await this.#pending.guard(this.#starting)
    const now = clock.now()
    const entry = this.#state.local(encoded, now)
    // valueDefault is a V: a miss is `undefined` only without one (then `Miss` is `undefined`).
    if (entry !== undefined) {
      if (seen !== undefined) seen.tier = 'l1'
      return this.#core.hit(encoded, entry, now) as V | Miss
    }
    if (unchecked) this.#keys.encode(key)
    return this.#pending.guard(this.#core.get(encoded, seen)) as Promise<V | Miss>
  }

  /** Values of `keys` in the same order: L1 hits locally, every miss in one Redis round trip. */
  getMany(keys: Iterable<K>): Promise<(V | Miss)[]> {
    if (!traces.getMany.hasSubscribers) return this.#getMany(keys)
    const list = [...keys]
    return traceKeys('getMany', this.name, list.length, (seen) => {
      seen.tiers = noTiers()
      return this.#getMany(list, seen.tiers)
    })
  }

  async #getMany(keys: Iterable<K>, tiers?: OperationContext['tiers']): Promise<(V | Miss)[]> {
    this.#checkOpen()
    const { encoded } = keysOfCall(keys, (key) => this.#keys.encode(key))
    if (this.#starting !== undefined) await this.#pending.guard(this.#starting)
    return this.#pending.guard(this.#core.getMany(encoded, tiers)) as Promise<(V | Miss)[]>
  }

  /**
   * Whether `key` exists: true at once for a live L1 copy, else its value is read and judged as get()
   * judges it (an expired hash field, an undecodable value, one a tag invalidated: absent; a stale
   * one within grace: present); one `EXISTS` where values carry no header. Does not refresh expiry.
   */
  async has(key: K): Promise<boolean> {
    this.#checkOpen()
    const encoded = this.#keys.encode(key)
    if (this.#starting !== undefined) await this.#pending.guard(this.#starting)
    const found = this.#core.has(encoded)
    return typeof found === 'boolean' ? found : this.#pending.guard(found)
  }

  /** The L1 copy of `key`, or `undefined`; never asks Redis and never changes recency or expiry. */
  peek(key: K): V | undefined {
    this.#checkOpen()
    const encoded = this.#keys.encode(key)
    return this.#core.served(encoded, this.#state.peek(encoded, clock.now())?.value)
  }

  /** Writes `key` to Redis (`SET ... PX`), then to L1. Throws before writing if the value does not fit `valueType`. */
  set(key: K, value: V, options?: SetOptions): Promise<void> {
    return this.#writing.set(key, value, options)
  }

  /**
   * Invalidates every entry carrying any of `tags`, in Redis and on every instance: O(1) per tag in
   * Redis, whatever number of entries carry it. With `mode: 'expire'` they turn stale instead (served
   * by getOrSet within grace while it reloads). Resolves once Redis has it and the other instances
   * were told. See docs/read-through.md#tags.
   */
  invalidateTags(tags: Iterable<string>, options?: InvalidateTagsOptions): Promise<void> {
    return this.#namespace.invalidateTags(tags, options)
  }

  /**
   * The cache seen as a dict, for code ported from Python flipcache (one view per cache):
   * `await view[15]` reads as get() does (through L1, then Redis; `valueDefault` on a miss);
   * `view[15] = value` and `delete view[15]` are visible to the view at once and sent to Redis in
   * the background (see dictSettled()); `15 in view` answers from this process alone (L1 and the
   * view's pending changes, never Redis). Property names are decoded by `keyType` (`'15'` is the int
   * key 15); a bad key or value is a `TypeError` thrown by the expression, as is a symbol or a
   * reserved name (`then`, `toJSON`, `inspect`, Object.prototype's); `E_CLOSED` after close().
   * See README "Dict-style access".
   */
  asDict(): DictView<K, V, Miss> {
    this.#checkOpen()
    this.#dict ??= dictView<K, V, Miss>(
      cacheDictPort<K, V, Miss>({
        name: this.name,
        keys: this.#keys,
        state: this.#state,
        core: this.#core,
        valueDefault: this.#options.valueDefault,
        closed: () => this.#closing !== undefined,
        read: (key) => this.get(key),
        write: (key, value, encoded, encodedValue) =>
          this.#writing.writeAssigned(key, value, encoded, encodedValue),
        remove: (key) => this.delete(key),
        report: (error) => this.#reporter.report(error),
      }),
    )
    return this.#dict.view
  }

  /**
   * Resolves once every write and delete made through the dict view (asDict()) before this call has
   * settled; rejects with an `AggregateError` of `DictWriteError`s (`E_DICT_WRITE`, `cause` says
   * why) when any failed since the last call (each failure also went to the 'error' event). Works
   * after close(), for the writes close() let finish. Not flushNow(), which drains the write-behind
   * queue to the source of truth.
   */
  async dictSettled(): Promise<void> {
    await this.#dict?.pending.settled()
  }

  /** Writes every `[key, value]` in one round trip; nothing is written if any key or value is invalid. */
  setMany(entries: Iterable<readonly [K, V]>, options?: SetOptions): Promise<void> {
    return this.#writing.setMany(entries, options)
  }

  /** Removes `key` from Redis and L1; resolves to whether Redis had it. */
  delete(key: K): Promise<boolean> {
    return this.#writing.delete(key)
  }

  /** Removes every key in one `UNLINK`; resolves to how many Redis had. */
  deleteMany(keys: Iterable<K>): Promise<number> {
    return this.#writing.deleteMany(keys)
  }

  /**
   * With `writeBehind`: drains the queue now (a failed batch is tried again at once) until it is
   * empty or `timeout` passed (default the `drainTimeout` option); resolves to how many entries it
   * still holds (0: every write so far was flushed). Without it: 0 at once.
   */
  flushNow(timeout?: number | Duration): Promise<number> {
    return this.#writing.flushNow(timeout)
  }

  /**
   * Remaining life of `key` in Redis in ms; `null` when it never expires, `undefined` when it does
   * not exist (expired, undecodable or invalidated by a tag, as for get(): its value is read too).
   */
  async ttl(key: K): Promise<number | null | undefined> {
    this.#checkOpen()
    const pttl = await this.#pending.guard(this.#core.pttl(this.#keys.encode(key)))
    return pttl === -2 ? undefined : pttl === -1 ? null : pttl
  }

  /** Removes this namespace's keys only (SCAN + UNLINK in batches, never KEYS), and empties L1. */
  clear(): Promise<void> {
    return this.#namespace.clear()
  }

  /**
   * Removes every key of the given old `versions` of this cache's name (`name:v<old>:*`, strings and
   * hash buckets, with SCAN and UNLINK; every master of a Cluster); resolves to how many keys were
   * removed. Needs a cache with a `version`, and refuses that version. Instances still running an old
   * version keep their L1 copies up to `localTtl`. See docs/patterns.md#versioned-namespaces.
   */
  clearVersions(versions: readonly (string | number)[]): Promise<number> {
    return this.#namespace.clearVersions(versions)
  }

  /** Every key of the namespace, decoded to its type, once each (SCAN, never KEYS). */
  keys(): AsyncGenerator<K, void, undefined> {
    return this.#namespace.keys()
  }

  /** Every fresh `[key, value]` of the namespace, read one SCAN batch (one MGET) at a time. */
  entries(): AsyncGenerator<[K, V], void, undefined> {
    return this.#namespace.entries()
  }

  /** Counters since creation, and the L1 size now. */
  stats(): CacheStats {
    const { received, sent, failed } = this.#coherence.bus
    return this.#stats.snapshot(this.#state.localSize, { received, sent, failed }, this.#state.localBytes)
  }

  /**
   * Stops the cache. Writes and deletes made through the dict view (asDict()) are given up to
   * `timeout` to finish first (see dictSettled()). Every call still waiting for a read, a load or a
   * lock holder rejects at once with `E_CLOSED`; a write already sent settles with its own outcome (within `timeout`). Loads
   * already running are given up to `timeout` to finish, and still store their value; past it their
   * locks are released, their loaders' signals abort with `E_CLOSED`, and what they return later is
   * dropped. With `writeBehind`, the drainer drains while this instance holds the lease, within
   * `drainTimeout`, and gives the lease up. Pending sliding-expiry touches are sent, L1 is emptied, and a client that flipcache
   * opened is closed (a client you passed in is left open). Idempotent; every later call rejects
   * with `E_CLOSED`.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #shutdown(): Promise<void> {
    // The dict view's writes were started by expressions that cannot be awaited: they land first,
    // within `timeout` (a write-through source that hangs must not hang close()).
    if (this.#dict !== undefined)
      await within(this.#dict.pending.drained(), this.#options.timeoutMs, () => {})
    this.#leaveTransport()
    this.#leaveNamespace()
    this.#pending.closeAll(new CacheClosedError(this.name))
    // Loads already running finish first, for at most `timeout`: they still write.
    await this.#reading.close(this.#options.timeoutMs)
    // The write-behind drainer drains what it can within `drainTimeout`, then gives its lease up.
    await this.#writes.close()
    await Promise.all([this.#core.flush(), this.#coherence.close(), this.#locks.close()])
    this.#state.close()
    this.#reporter.close()
    if (this.#connection.owned) await disconnect(this.#connection.client, this.#options.timeoutMs)
  }

  /** `call` traced on `operation`'s channel, its context naming this cache and `key`. */
  #tracedKey<T>(
    operation: TracedOperation,
    key: K,
    call: (seen: OperationContext) => Promise<T>,
  ): Promise<T> {
    return traceKey(operation, this.name, key, (given: K) => this.#keys.encode(given), call)
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new CacheClosedError(this.name)
  }
}
