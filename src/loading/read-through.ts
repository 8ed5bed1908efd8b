import { randomBytes } from 'node:crypto'
import * as clock from '../clock.js'
import type { CacheCore } from '../core/cache-core.js'
import { freshValue, MISSING } from '../core/reads.js'
import { FlipCacheError, LoaderError, LoaderTimeoutError, LockLostError } from '../errors.js'
import type { Locks } from '../lock/locks.js'
import type { RedisLock } from '../lock/redis-lock.js'
import { within } from '../within.js'
import { FailureBackoff } from './failure-backoff.js'
import type { ResolvedLoad, ResolvedLock } from './load-options.js'

/** What a loader is given. */
export interface LoaderContext<K, V> {
  /** The key being loaded. */
  key: K
  /** The stale value the cache still holds within its grace period, if any. */
  stale: V | undefined
  /** Fires (with an `E_LOADER_TIMEOUT` error) when the call passes its `hardTimeout`. */
  signal: AbortSignal
}

export type Loader<K, V> = (context: LoaderContext<K, V>) => Promise<V> | V

/** What read-through needs besides the core and the locks. */
export interface ReadThroughConfig {
  /** Where an encoded key lives in Redis (for error messages). */
  where: (key: string) => string
  /** Reports a failure no caller awaits. */
  report: (error: FlipCacheError) => void
  /** The `lockRelease` option: told of a lock that vanished under its holder (else it goes to `report`). */
  lockRelease: ((error: LockLostError) => void) | undefined
  /** The error of a call the closing of the cache cut short (`E_CLOSED`). */
  closed: () => FlipCacheError
}

type LockOutcome<V> =
  | { kind: 'locked'; lock: RedisLock }
  | { kind: 'found'; value: V }
  | { kind: 'busy' }
  | { kind: 'unlocked' }

/** One load: what it loads, with what, and how. */
interface LoadJob<K, V> {
  key: K
  encoded: string
  loader: Loader<K, V>
  load: ResolvedLoad
  /** The stale value in hand, if any: the loader's `ctx.stale`, and the fallback of a failed load. */
  stale: V | undefined
  mode: LoadMode
}

/**
 * How a load treats the lock: whether to wait for another holder's value (else leave the work to
 * it), and how fresh a value found in Redis must be to make the load needless.
 */
interface LoadMode {
  waitForHolder: boolean
  /** A value fresh until after this instant (and now) ends the load. */
  newerThan: number
  /** The read just failed: no lock (Redis cannot take one), and the store goes on in the background. */
  redisDown?: boolean
}
const foreground: LoadMode = { waitForHolder: true, newerThan: 0 }
const background: LoadMode = { waitForHolder: false, newerThan: 0 }
const withoutRedis: LoadMode = { waitForHolder: false, newerThan: 0, redisDown: true }

/** Polls for a holder's value at this pace at most (the notice normally comes first). */
const maxPollMs = 1000

/**
 * getOrSet: the value from L1 or Redis while it is fresh; otherwise one loader call across every
 * process (an in-process single-flight, then a Redis lock whose holder loads while the others wait
 * for its notice), with stale-while-revalidate and refresh-ahead inside `grace`, soft and hard
 * loader timeouts, fail-safe to the stale value, and back-off after repeated failures.
 */
export class ReadThrough<K, V> {
  readonly #core: CacheCore<V>
  readonly #locks: Locks
  readonly #config: ReadThroughConfig
  readonly #loads = new Map<string, Promise<V>>()
  readonly #backoff = new FailureBackoff()
  /** Locks this instance holds now, and the encoded key of each. */
  readonly #held = new Map<RedisLock, string>()
  /** The loaders running now, each stopped through its AbortController. */
  readonly #loaders = new Set<AbortController>()
  /** The cache is closing: no loader is called any more, and no one waits for another holder. */
  #closing = false
  /** close() gave up on the loads still running: what they return is dropped. */
  #abandoned = false

  constructor(core: CacheCore<V>, locks: Locks, config: ReadThroughConfig) {
    this.#core = core
    this.#locks = locks
    this.#config = config
  }

  /**
   * For close() (whose callers were told `E_CLOSED` already): no loader is called any more, and
   * loads waiting for another process's holder stop. Loaders running now get `ms` to finish, and
   * their values are still stored (other processes may be waiting for them); past it their signals
   * abort with `E_CLOSED`, what they return later is dropped, and the locks still held are let go,
   * so that other processes need not wait for them to expire.
   */
  async close(ms: number): Promise<void> {
    this.#closing = true
    this.#locks.wakeAll()
    const running = Promise.allSettled(this.#loads.values()).then(() => undefined)
    await within(running, ms, () => undefined)
    this.#abandoned = true
    const closed = this.#config.closed()
    for (const loader of this.#loaders) loader.abort(closed)
    // Waiters in other processes hear that the lock is free, and take over at once.
    const releasing = [...this.#held].map(([lock, encoded]) =>
      lock.release().then(() => this.#locks.done(encoded, 'released')),
    )
    this.#held.clear()
    await within(Promise.allSettled(releasing), ms, () => [])
  }

  /** getOrSet after an L1 miss (the cache answers L1 hits itself). */
  async getOrSet(key: K, encoded: string, loader: Loader<K, V>, load: ResolvedLoad): Promise<V> {
    const core = this.#core
    const now = clock.now()
    // An L1 copy past localTtl or freshness, still within its Redis life: the fallback if Redis fails.
    const kept = core.state.peekStale(encoded, now)
    let stale: { value: V } | undefined
    let redisDown = false
    try {
      const looked = await core.lookup([encoded])
      const readAt = clock.now()
      const fresh = freshValue(looked, 0, readAt)
      if (fresh !== MISSING) {
        core.count(fresh)
        this.refreshAheadIfDue(key, encoded, loader, load, {
          freshUntil: looked.freshUntil?.[0],
          value: fresh,
        })
        return fresh
      }
      const value = looked.values[0]
      if (value !== undefined && value !== MISSING) stale = { value }
    } catch (error) {
      // Redis is failing: L1 and the loader answer. The failure is not the caller's, so report it.
      if (error instanceof FlipCacheError) this.#config.report(error)
      redisDown = true
      if (kept !== undefined && kept.freshUntil > clock.now()) return core.hit(encoded, kept, now)
    }
    // The cache closed while Redis was asked: no loader is called any more.
    this.#throwIfClosing()
    // Redis answered: it is the authority (a key it no longer has was deleted, not lost). Redis
    // failed: the L1 copy is the best stale value there is.
    if (redisDown && kept !== undefined) stale ??= { value: kept.value }
    core.count(MISSING)
    if (stale === undefined) {
      return this.#load({
        key,
        encoded,
        loader,
        load,
        stale: undefined,
        mode: redisDown ? withoutRedis : foreground,
      })
    }
    const staleValue = stale.value
    // Stale within grace: the soft timeout says how long a fresh value is worth waiting for (0: not at all).
    const mode = redisDown ? withoutRedis : load.softTimeoutMs > 0 ? foreground : background
    const loading = this.#load({ key, encoded, loader, load, stale: staleValue, mode })
    return preferFresh(loading, staleValue, load.softTimeoutMs)
  }

  /** A fresh value read past its refresh-ahead point: refreshed in the background, once across processes. */
  refreshAheadIfDue(
    key: K,
    encoded: string,
    loader: Loader<K, V>,
    load: ResolvedLoad,
    read: { freshUntil: number | undefined; value: V },
  ): void {
    const { freshUntil, value } = read
    if (load.refreshAhead === undefined || load.expireMs === null || this.#closing) return
    if (freshUntil === undefined || freshUntil === Number.POSITIVE_INFINITY || this.#loads.has(encoded))
      return
    const refreshAt = freshUntil - (1 - load.refreshAhead) * load.expireMs
    if (clock.now() < refreshAt) return
    // Leave it to a process that holds the lock already; once locked, refresh unless the value in
    // Redis is newer than the one seen here (another process refreshed it meanwhile).
    const mode = { waitForHolder: false, newerThan: freshUntil }
    this.#load({ key, encoded, loader, load, stale: value, mode }).catch(() => {})
  }

  /**
   * One load of `encoded` at a time in this process. A foreground load that finds the lock taken
   * waits for the holder's value; a background one (refreshes) leaves the work to the holder and
   * resolves to `stale`.
   */
  #load(job: LoadJob<K, V>): Promise<V> {
    const { encoded } = job
    const running = this.#loads.get(encoded)
    if (running !== undefined) return running
    const loading = this.#runLoad(job)
    this.#loads.set(encoded, loading)
    const forget = (): void => {
      if (this.#loads.get(encoded) === loading) this.#loads.delete(encoded)
    }
    loading.then(forget, forget)
    return loading
  }

  async #runLoad(job: LoadJob<K, V>): Promise<V> {
    const { encoded, load, stale, mode } = job
    this.#backoff.check(encoded)
    let lock: RedisLock | undefined
    if (load.lock !== undefined && !mode.redisDown) {
      const outcome = await this.#lockOrWait(encoded, load.lock, mode)
      if (outcome.kind === 'found') return outcome.value
      // Another process holds the lock for a background refresh: it refreshes, this one keeps serving.
      if (outcome.kind === 'busy') return stale as V
      if (outcome.kind === 'locked') {
        lock = outcome.lock
        this.#held.set(lock, encoded)
      }
    }
    let loaded = false
    try {
      // The cache closed while the lock was taken: the loader is not called.
      this.#throwIfClosing()
      const value = await this.#callLoader(job)
      // close() gave up on this load: its value is dropped, since the cache no longer writes.
      if (this.#abandoned) throw this.#config.closed()
      // With Redis failing, the caller does not wait for a store that would only fail after `timeout`.
      if (mode.redisDown) {
        // Checked here, so that a value the cache cannot store fails the call, as it would otherwise.
        this.#core.encode(encoded, value)
        this.#keep(encoded, value, load, true).catch(() => {})
      } else {
        await this.#keep(encoded, value, load)
      }
      loaded = true
      this.#backoff.succeeded(encoded)
      return value
    } catch (error) {
      // Every caller was told E_CLOSED: a failure now is nobody's news, nor a reason to back off.
      if (this.#closing) throw error
      const failure =
        error instanceof FlipCacheError
          ? error
          : new LoaderError(this.#config.where(encoded), { cause: error })
      this.#backoff.failed(encoded, failure)
      // With a stale value to fall back on, the caller is served; the failure must still be seen.
      if (stale !== undefined) this.#config.report(failure)
      throw failure
    } finally {
      if (lock !== undefined) {
        const outcome = loaded ? 'loaded' : 'released'
        this.#held.delete(lock)
        // Waiters read the value on the notice; releasing needs no one to wait for it. Past close(),
        // which let the lock go already, the cache sends nothing.
        const tell = (): Promise<void> =>
          this.#abandoned ? Promise.resolve() : this.#locks.done(encoded, outcome)
        lock.release().then(tell, tell)
      }
    }
  }

  /**
   * Takes the lock; or, while another process holds it, waits for its notice (polling slowly in
   * case one is missed) and takes its value; a background load does not wait. Past the lock's
   * `wait`, or when Redis cannot lock, it loads without the lock rather than hang.
   */
  async #lockOrWait(encoded: string, settings: ResolvedLock, mode: LoadMode): Promise<LockOutcome<V>> {
    const locks = this.#locks
    const lockKey = locks.keyOf(encoded)
    const deadline = clock.now() + settings.waitMs
    const pollMs = Math.max(25, Math.min(maxPollMs, Math.floor(settings.ttlMs / 4)))
    // Listen before the first attempt, so that a holder's notice cannot slip between attempt and wait.
    const watch = mode.waitForHolder ? await locks.watch(encoded) : undefined
    try {
      for (;;) {
        // The cache is closing: a waiter stops waiting (close() woke it), and no lock is taken.
        this.#throwIfClosing()
        const lock = locks.lock(encoded, settings.ttlMs, (loss) =>
          this.#lockLost(new LockLostError(lockKey, loss)),
        )
        let acquired: boolean
        try {
          acquired = await lock.acquire()
        } catch {
          // Redis cannot lock: load without it (the in-process single-flight still holds).
          return { kind: 'unlocked' }
        }
        if (acquired && this.#closing) {
          lock.release().catch(() => {})
          throw this.#config.closed()
        }
        if (acquired) {
          // Another process may have stored the value between our read and the lock.
          const found = await this.#readFresh(encoded, mode.newerThan).catch((): typeof MISSING => MISSING)
          if (found === MISSING) return { kind: 'locked', lock }
          lock.release().catch(() => {})
          return { kind: 'found', value: found }
        }
        if (watch === undefined) return { kind: 'busy' }
        const remaining = deadline - clock.now()
        if (remaining <= 0) return { kind: 'unlocked' }
        await watch.next(Math.min(remaining, pollMs))
        this.#throwIfClosing()
        const found = await this.#readFresh(encoded, mode.newerThan).catch((): typeof MISSING => MISSING)
        if (found !== MISSING) return { kind: 'found', value: found }
      }
    } finally {
      watch?.stop()
    }
  }

  /** The value of `encoded` in Redis if it is fresh until after `newerThan` (and now), else `MISSING`. */
  async #readFresh(encoded: string, newerThan: number): Promise<V | typeof MISSING> {
    const looked = await this.#core.lookup([encoded])
    return freshValue(looked, 0, Math.max(clock.now(), newerThan))
  }

  /**
   * The loader's value; or, once its signal aborts (past `hardTimeout`: `E_LOADER_TIMEOUT`; when
   * close() gives up on it: `E_CLOSED`), that error at once. A loader that finishes anyway is not
   * stored: by then a newer value may have been written (another load may even have started
   * meanwhile), and a late store would overwrite it.
   */
  #callLoader({ key, encoded, loader, load, stale }: LoadJob<K, V>): Promise<V> {
    const controller = new AbortController()
    const { signal } = controller
    const loading = Promise.resolve().then(() => loader({ key, stale, signal }))
    const stopped = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })
    const hardTimeoutMs = load.hardTimeoutMs
    const timer =
      hardTimeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            controller.abort(new LoaderTimeoutError(this.#config.where(encoded), hardTimeoutMs))
          }, hardTimeoutMs)
    this.#loaders.add(controller)
    return Promise.race([loading, stopped]).finally(() => {
      clearTimeout(timer)
      this.#loaders.delete(controller)
    })
  }

  #throwIfClosing(): void {
    if (this.#closing) throw this.#config.closed()
  }

  /**
   * Stores a loaded value in Redis (TTL `expireTime + grace`) and L1, or in L1 alone when Redis
   * fails. With `localFirst` (Redis is failing) L1 has it before the store is even tried.
   */
  async #keep(encoded: string, value: V, load: ResolvedLoad, localFirst = false): Promise<void> {
    const encodedValue = this.#core.encode(encoded, value)
    const { expireMs, graceMs } = load
    const ttlMs = expireMs === null ? null : expireMs + graceMs
    const needsFreshness = expireMs !== null && (graceMs > 0 || load.refreshAhead !== undefined)
    const freshUntil = needsFreshness ? clock.now() + expireMs : Number.POSITIVE_INFINITY
    if (localFirst) this.#core.keepLocally(encoded, encodedValue, ttlMs, freshUntil)
    try {
      await this.#core.write([[encoded, encodedValue]], ttlMs, freshUntil)
    } catch (error) {
      if (error instanceof FlipCacheError) this.#config.report(error)
      this.#core.keepLocally(encoded, encodedValue, ttlMs, freshUntil)
    }
  }

  /** A lock vanished under its holder: to the `lockRelease` hook, else (or if the hook throws) reported. */
  #lockLost(error: LockLostError): void {
    const hook = this.#config.lockRelease
    if (hook !== undefined) {
      try {
        hook(error)
        return
      } catch {
        // A hook that throws must not lose the news it was given.
      }
    }
    this.#config.report(error)
  }
}

/** The fresh value if it comes within `softTimeoutMs`, else (or if loading fails) the stale one. */
function preferFresh<V>(loading: Promise<V>, stale: V, softTimeoutMs: number): Promise<V> {
  const settled = loading.catch(() => stale)
  return softTimeoutMs === 0 ? Promise.resolve(stale) : within(settled, softTimeoutMs, () => stale)
}

/** A random id for a cache instance, carried by its sync messages. */
export function instanceId(): string {
  return randomBytes(6).toString('base64url')
}
