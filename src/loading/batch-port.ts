/** What getOrSetMany shares of ReadThrough (its port), its loader's types, and its read under the locks. */
import * as clock from '../clock.js'
import type { CacheCore } from '../core/cache-core.js'
import { type Found, freshValue, type Looked } from '../core/reads.js'
import type { HeldLock, LockLoss } from '../lock/redis-lock.js'
import type { FailureBackoff } from './failure-backoff.js'
import type { LoadMode, LockOutcome } from './load-modes.js'
import type { ResolvedLock } from './load-options.js'
import type { ReadThroughConfig } from './read-through.js'
import type { RedisBudget } from './redis-budget.js'
import type { RunningLoaders } from './running-loaders.js'

/** What a getOrSetMany loader is given besides the keys. */
export interface BatchLoaderContext<K, V> {
  /** The keys to load (the loader's first argument): each once, in the order first asked for. */
  keys: K[]
  /** The stale values the cache still holds within their grace period, by key (only keys that have one). */
  stale: Map<K, V>
  /** Fires when the call passes its `hardTimeout` (`E_LOADER_TIMEOUT`) or the cache closes (`E_CLOSED`). */
  signal: AbortSignal
}

/**
 * getOrSetMany's loader: the values of `keys`, as a Map with exactly those keys, or an array in the
 * same order (anything else fails with `E_LOADER_RESULT`).
 */
export type BatchLoader<K, V> = (
  keys: K[],
  context: BatchLoaderContext<K, V>,
) => Promise<ReadonlyMap<K, V> | readonly V[]> | ReadonlyMap<K, V> | readonly V[]

export type { LoadMode, LockOutcome }

/** What a batch asks of ReadThrough's lock-or-wait for each of its keys. */
export interface LockHooks<V> {
  /** The lock is held elsewhere and the wait for its holder begins (called at each wait). */
  waiting(): void
  /** Reads the key once locked (fresh until after `newerThan`, else `MISSING`): the batch's keys in one read. */
  readUnderLock?(encoded: string, newerThan: number): Promise<Found<V>>
  /** The lock on Redis key `lockKey`, one of the batch's group: taken, extended and released with the others. */
  lock?(lockKey: string, onLost: (loss: LockLoss) => void): HeldLock
}

/** The parts of a ReadThrough a batch load shares: its single-flight, locks, loaders, back-off and close(). */
export interface BatchPort<V> {
  core: CacheCore<V>
  config: ReadThroughConfig<V>
  /** The in-process single-flight of getOrSet: a load of an encoded key, joined by every later caller. */
  loads: Map<string, Promise<V>>
  backoff: FailureBackoff
  loaders: RunningLoaders
  closing: () => boolean
  abandoned: () => boolean
  /** ReadThrough's lock-or-wait, with the batch's hooks. */
  lockOrWait: (
    encoded: string,
    settings: ResolvedLock,
    mode: LoadMode,
    budget: RedisBudget,
    hooks: LockHooks<V>,
  ) => Promise<LockOutcome<V>>
  /** A group of locks for one batch (see RedisLockGroup): every key's lock `ttlMs` long. */
  lockGroup: (
    ttlMs: number,
    afterAcquiring: (locks: HeldLock[]) => void,
  ) => { lock(lockKey: string, onLost: (loss: LockLoss) => void): HeldLock }
  /** A lock taken for a load: held until `finish` (close() lets it go if the load outlives it). */
  hold: (lock: HeldLock, encoded: string) => void
  /** The loads under `locks` (each with its encoded key) ended: released, and waiters told whether they stored values. */
  finish: (locks: readonly [lock: HeldLock, encoded: string][], loaded: boolean) => void
}

/**
 * Reads under the locks: every key asked for within one tick (the keys whose locks one round trip
 * granted) read by one lookup, instead of a GET each; or, for keys whose read was sent right after
 * their locks' script in the same pipeline (`prefetch`, on a single node), that read's answer.
 */
export class ReadsUnderLock<V> {
  readonly #core: CacheCore<V>
  /** Reads sent right after the acquisition of their keys' locks, by encoded key: each used once. */
  readonly #prefetched = new Map<string, { looking: Promise<Looked<V>>; index: number }>()
  #pending: Asking<V>[] | undefined

  constructor(core: CacheCore<V>) {
    this.#core = core
  }

  /** Reads `encoded` now: called in the tick their locks' acquisition is queued, so Redis reads after locking. */
  prefetch(encoded: string[]): void {
    const looking = this.#core.lookup(encoded)
    // A failed read is the lock holder's to handle, if it reads at all (a key not locked is not read).
    looking.catch(() => {})
    encoded.forEach((code, index) => {
      this.#prefetched.set(code, { looking, index })
    })
  }

  /** The value of `encoded` (locked by this batch) if fresh until after `newerThan` (and now), else `MISSING`. */
  read = (encoded: string, newerThan: number): Promise<Found<V>> => {
    const prefetched = this.#prefetched.get(encoded)
    if (prefetched !== undefined) {
      this.#prefetched.delete(encoded)
      const { looking, index } = prefetched
      return looking.then((looked) => freshValue(looked, index, Math.max(clock.now(), newerThan)))
    }
    return new Promise<Found<V>>((resolve, reject) => {
      if (this.#pending === undefined) {
        const asked: Asking<V>[] = []
        this.#pending = asked
        process.nextTick(() => {
          this.#pending = undefined
          this.#core.lookup(asked.map((item) => item.encoded)).then(
            (looked) => {
              const now = clock.now()
              asked.forEach((item, index) => {
                item.resolve(freshValue(looked, index, Math.max(now, item.newerThan)))
              })
            },
            (error: unknown) => {
              for (const item of asked) item.reject(error)
            },
          )
        })
      }
      this.#pending.push({ encoded, newerThan, resolve, reject })
    })
  }
}

interface Asking<V> {
  encoded: string
  newerThan: number
  resolve: (found: Found<V>) => void
  reject: (error: unknown) => void
}
