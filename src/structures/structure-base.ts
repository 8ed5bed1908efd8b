import type { EventEmitter } from 'node:events'
import { ErrorReporter, emitApart, type ReportContext } from '../error-reporter.js'
import { CacheClosedError, type FlipCacheError } from '../errors.js'
import { namespacesOf } from '../namespaces.js'
import { checkName, keyPrefixOf } from '../option-checks.js'
import { PendingCalls } from '../pending-calls.js'
import { type Connection, connect, disconnect, type RedisClient } from '../redis/connection.js'
import { serverOf } from '../redis/server-name.js'
import { transportOf } from '../redis/transport.js'
import type { TransportView } from '../redis/transport-view.js'
import { escapeGlob } from '../store/glob.js'
import type { KeyCodec } from '../types/key-type.js'
import type { ResolvedStructureOptions } from './structure-options.js'

/**
 * What every Redis structure (FlipCounter, RateLimiter, FlipList, FlipRanking) holds the same way as
 * FlipCache: its name and key prefix, its connection (shared, or its own and closed with it), its
 * view of the client's transport (so its calls join the tick's pipeline of every class on the
 * client, bounded by its `timeout`, behind the client's breaker), its key codec, the calls that
 * close() settles with `E_CLOSED`, and where failures no caller awaits are reported. The structure
 * itself owns what it stores; this owns none of that.
 */
export class StructureBase<K> {
  readonly name: string
  /** What each Redis key of the structure starts with: `name:` (or `{name}:` with `hashTag`). */
  readonly prefix: string
  readonly keys: KeyCodec<K>
  readonly transport: TransportView
  readonly timeoutMs: number
  readonly #kind: string
  readonly #connection: Connection
  readonly #pending = new PendingCalls()
  readonly #reporter: ErrorReporter
  readonly #leaveBreakers: () => void
  readonly #leaveNamespace: () => void
  #closing: Promise<void> | undefined

  /** `kind` names the class in errors (`FlipCounter \`visits\` is closed`); `emitter` hears 'error' and 'redis'. */
  constructor(kind: string, name: string, options: ResolvedStructureOptions<K>, emitter: EventEmitter) {
    checkName(name)
    this.#kind = kind
    this.name = name
    this.prefix = keyPrefixOf(name, options.hashTag)
    this.keys = options.keys
    this.timeoutMs = options.timeoutMs
    this.#connection = connect(options.redis)
    const transport = transportOf(this.#connection.client)
    this.transport = transport.for(options.timeoutMs)
    this.#reporter = new ErrorReporter({
      emitter,
      name,
      kind,
      logger: options.logger,
      server: () => (this.#connection === undefined ? undefined : serverOf(this.#connection.client)),
    })
    this.#leaveBreakers = transport.breakers.join(name, options.breaker, (change) =>
      emitApart(emitter, 'redis', change),
    )
    this.#leaveNamespace = namespacesOf(this.#connection.client).enter({ prefix: this.prefix, kind, name })
    if (this.#connection.owned) {
      this.#reporter.watchOwnedClient(this.#connection.client, () => this.closed)
    }
  }

  get client(): RedisClient {
    return this.#connection.client
  }

  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** The Redis key of `key`: the prefix and the encoded key (a `TypeError` for a key of the wrong type). */
  redisKey(key: K): string {
    return this.prefix + this.keys.encode(key)
  }

  /** The key a Redis key of this structure stands for, or `undefined` for one that does not decode. */
  keyOf(redisKey: string): K | undefined {
    if (!redisKey.startsWith(this.prefix)) return undefined
    try {
      return this.keys.decode(redisKey.slice(this.prefix.length))
    } catch {
      return undefined
    }
  }

  /** The SCAN pattern of every key of the structure. */
  get pattern(): string {
    return `${escapeGlob(this.prefix)}*`
  }

  /** Throws `E_CLOSED` once close() was called. */
  checkOpen(): void {
    if (this.closed) throw new CacheClosedError(this.name, this.#kind)
  }

  /**
   * `work()`'s outcome, unless close() comes first (then `E_CLOSED` at once). `work` runs only on an
   * open structure; a `TypeError` it throws synchronously (bad input) rejects the call.
   */
  call<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.checkOpen()
      return this.#pending.guard(work())
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** `items`, each step rejecting with `E_CLOSED` once close() comes (see PendingCalls.each). */
  each<T>(items: AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
    return this.#pending.each(items)
  }

  /** A failure no caller awaits: to the logger, the 'error' event or a process warning, coalesced (see ErrorReporter). */
  report(error: FlipCacheError, context?: ReportContext): void {
    this.#reporter.report(error, context)
  }

  /**
   * Rejects the calls still waiting with `E_CLOSED`, runs `finish` (the structure's own last work:
   * timers stopped, a last hand-over), then closes a client the structure opened. Idempotent.
   */
  close(finish: () => Promise<void> = async () => {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#leaveBreakers()
      this.#leaveNamespace()
      this.#pending.closeAll(new CacheClosedError(this.name, this.#kind))
      try {
        await finish()
      } finally {
        this.#reporter.close()
        if (this.#connection.owned) await disconnect(this.#connection.client, this.timeoutMs)
      }
    })()
    return this.#closing
  }
}
