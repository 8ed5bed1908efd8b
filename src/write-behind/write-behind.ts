import type { CacheCore } from '../core/cache-core.js'
import type { ReportContext } from '../error-reporter.js'
import type { FlipCacheError } from '../errors.js'
import type { TransportView } from '../redis/transport-view.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import type { KeyCodec } from '../types/key-type.js'
import { UnknownStructureError } from '../types/shared-structures.js'
import type { RedisValue } from '../types/value-codec.js'
import type { ResolvedWriteBehind } from '../write-policy/write-options.js'
import type { WritePath } from '../write-policy/write-path.js'
import { Drainer } from './drainer.js'
import { WriteQueue } from './queue.js'
import { queueKeysOf } from './queue-keys.js'

/** What write-behind needs of its cache. */
export interface WriteBehindConfig<K, V> {
  core: CacheCore<V>
  transport: TransportView
  /** The cache's key prefix (`name:` or `{name}:`). */
  keyPrefix: string
  /** The Redis key of an encoded key. */
  redisKey: (key: string) => string
  keys: KeyCodec<K>
  /** This instance's consumer name in the drainers' group. */
  consumer: string
  settings: ResolvedWriteBehind<K, V>
  report: (error: FlipCacheError, context?: ReportContext) => void
}

/**
 * Write-behind: each write reaches Redis at once, its value and its queue entry in one script (so
 * that neither lands without the other), and L1 as a plain write does; the drainer hands the queue
 * to `flush` later, in batches.
 */
export class WriteBehind<K, V> implements WritePath<K, V> {
  readonly #core: CacheCore<V>
  readonly #queue: WriteQueue
  readonly #drainer: Drainer<K, V>
  readonly #redisKey: (key: string) => string
  readonly #drainTimeoutMs: number

  constructor(config: WriteBehindConfig<K, V>) {
    const { core, settings, keys, report } = config
    this.#core = core
    this.#redisKey = config.redisKey
    this.#drainTimeoutMs = settings.drainTimeoutMs
    this.#queue = new WriteQueue(config.transport, queueKeysOf(config.keyPrefix), settings.maxQueued)
    this.#drainer = new Drainer(
      {
        queue: this.#queue,
        consumer: config.consumer,
        flush: settings.flush,
        decoders: {
          key: (encoded) => keys.decode(encoded),
          value: (encoded, stored) => {
            const entry = core.entries.unframe(encoded, stored)
            if (entry instanceof Error) {
              // A shared structure not loaded here yet: loaded now, for the retry of this change.
              if (entry.cause instanceof UnknownStructureError) core.entries.reload().catch(() => {})
              throw entry
            }
            return entry.value
          },
        },
        batchSize: settings.batchSize,
        claimAfterMs: settings.claimAfterMs,
        maxAttempts: settings.maxAttempts,
        retryDelayMs: settings.retryDelayMs,
        report,
        now: Date.now,
      },
      settings.pollMs,
      settings.drain,
    )
  }

  write(
    _pairs: [K, V][],
    encoded: [string, RedisValue][],
    ttlMs: number | null,
    tags?: readonly TagStamp[],
  ): Promise<void> {
    return this.#core.write(
      encoded,
      ttlMs,
      undefined,
      (stored, ttl) =>
        this.#queue.write(
          stored.map(([key]) => this.#redisKey(key)),
          stored,
          ttl,
        ),
      tags,
    )
  }

  remove(_keys: K[], encoded: string[]): Promise<number> {
    return this.#core.remove(encoded, (keys) =>
      this.#queue.remove(
        keys.map((key) => this.#redisKey(key)),
        keys,
      ),
    )
  }

  flushNow(timeoutMs = this.#drainTimeoutMs): Promise<number> {
    return this.#drainer.flushNow(timeoutMs)
  }

  close(): Promise<void> {
    return this.#drainer.close(this.#drainTimeoutMs)
  }
}
