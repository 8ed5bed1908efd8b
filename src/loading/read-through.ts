import * as clock from '../clock.js'
import type { CacheCore } from '../core/cache-core.js'
import { freshValue, MISSING } from '../core/reads.js'
import type { ReportContext } from '../error-reporter.js'
import { FlipCacheError, LoaderError, LoaderTimeoutError, type LockLostError } from '../errors.js'
import type { Locks } from '../lock/locks.js'
import type { HeldLock } from '../lock/redis-lock.js'
import type { Tier } from '../observe/channels.js'
import { tellLock } from '../observe/events.js'
import { within } from '../within.js'
import { type BatchLoader, BatchReadThrough } from './batch-read-through.js'
import { FailureBackoff } from './failure-backoff.js'
import { LoadDecisions } from './load-decisions.js'
import {
  background,
  foreground,
  type LoadMode,
  preferFresh,
  servedStale,
  withoutRedis,
} from './load-modes.js'
import type { ResolvedLoad } from './load-options.js'
import {
  keepLoaded,
  type LoadedEntry,
  loadedEntry,
  stampsFor,
  storeLoaded,
  UNSTAMPED,
} from './loaded-entry.js'
import { type LockWaitPort, lockOrWait } from './lock-or-wait.js'
import { LATE, RedisBudget } from './redis-budget.js'
import { type Loader, RunningLoaders } from './running-loaders.js'

export type { BatchLoader, BatchLoaderContext } from './batch-read-through.js'
export type { LoaderDecisionMethods, LoaderTtlOptions } from './load-decisions.js'
export type { Loader, LoaderContext } from './running-loaders.js'

/** What read-through needs besides the core and the locks. */
export interface ReadThroughConfig<V> {
  /** The cache's name, for traces. */
  name: string
  /** Where an encoded key lives in Redis (for error messages). */
  where: (key: string) => string
  /** Reports a failure no caller awaits. */
  report: (error: FlipCacheError, context?: ReportContext) => void
  /** The `lockRelease` option: told of a lock that vanished under its holder (else it goes to `report`). */
  lockRelease: ((error: LockLostError) => void) | undefined
  /** The error of a call the closing of the cache cut short (`E_CLOSED`). */
  closed: () => FlipCacheError
  /** The cache's `timeout`: what one getOrSet call may wait for Redis in all. */
  timeoutMs: number
  /** The `notFound` option: whether a loaded value is a "not found", stored for `notFoundTtl`. */
  notFound: (value: V) => boolean
  /** Throws a `TypeError` for a load the storage cannot keep (a loader's `ctx.setTtl` grace on header-less buckets). */
  fits: (load: ResolvedLoad) => void
}

/** One load: what it loads, with what, and how. */
interface LoadJob<K, V> {
  key: K
  encoded: string
  loader: Loader<K, V>
  load: ResolvedLoad
  /** The stale value in hand, if any: the loader's `ctx.stale`, and the fallback of a failed load. */
  stale: V | undefined
  mode: LoadMode
  /** What is left of the call's `timeout` for Redis. */
  budget: RedisBudget
}

/**
 * getOrSet: the value from L1 or Redis while it is fresh; otherwise one loader call across every
 * process (an in-process single-flight, then a Redis lock whose holder loads while the others wait
 * for its notice), with stale-while-revalidate and refresh-ahead inside `grace`, soft and hard
 * loader timeouts, fail-safe to the stale value, and back-off after repeated failures.
 */
export class ReadThrough<K, V> {
  readonly #core: CacheCore<V>
  readonly #locks: Locks
  readonly #config: ReadThroughConfig<V>
  readonly #loads = new Map<string, Promise<V>>()
  readonly #backoff = new FailureBackoff()
  /** Locks this instance holds now, and the encoded key of each. */
  readonly #held = new Map<HeldLock, string>()
  /** The loaders running now, each stoppable through its signal. */
  readonly #loaders = new RunningLoaders()
  /** The cache is closing: no loader is called any more, and no one waits for another holder. */
  #closing = false
  /** What lockOrWait needs of this read-through. */
  readonly #lockWait: LockWaitPort<V>
  /** close() gave up on the loads still running: what they return is dropped. */
  #abandoned = false
  /** getOrSetMany, built on these same parts (its loads join this single-flight, and close() covers them). */
  readonly #batch: BatchReadThrough<K, V>

  constructor(core: CacheCore<V>, locks: Locks, config: ReadThroughConfig<V>) {
    this.#core = core
    this.#locks = locks
    this.#config = config
    this.#lockWait = {
      locks,
      name: config.name,
      closing: () => this.#closing,
      closed: () => config.closed(),
      throwIfClosing: () => this.#throwIfClosing(),
      lockLost: (error) => this.#lockLost(error),
      readFresh: (encoded, newerThan) => this.#readFresh(encoded, newerThan),
    }
    this.#batch = new BatchReadThrough<K, V>({
      core,
      config,
      loads: this.#loads,
      backoff: this.#backoff,
      loaders: this.#loaders,
      closing: () => this.#closing,
      abandoned: () => this.#abandoned,
      lockOrWait: (encoded, settings, mode, budget, hooks) =>
        lockOrWait(this.#lockWait, encoded, settings, mode, budget, hooks),
      lockGroup: (ttlMs, afterAcquiring) => locks.group(ttlMs, afterAcquiring),
      hold: (lock, encoded) => this.#hold(lock, encoded),
      finish: (held, loaded) => this.#finish(held, loaded),
    })
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
    this.#loaders.abortAll(closed)
    // Waiters in other processes hear that the lock is free, and take over at once.
    const releasing = [...this.#held].map(([lock, encoded]) => {
      tellLock(this.#config.name, encoded, 'released')
      return lock.release().then(() => this.#locks.done(encoded, 'released'))
    })
    this.#held.clear()
    await within(Promise.allSettled(releasing), ms, () => [])
  }

  /** getOrSet after an L1 miss (the cache answers L1 hits itself). */
  async getOrSet(
    key: K,
    encoded: string,
    loader: Loader<K, V>,
    load: ResolvedLoad,
    seen?: { tier?: Tier; stale?: boolean },
  ): Promise<V> {
    const core = this.#core
    const now = clock.now()
    // An L1 copy past localTtl or freshness, still within its Redis life: the fallback if Redis fails.
    const kept = core.state.peekStale(encoded, now)
    let stale: { value: V } | undefined
    let redisDown = false
    let readAt = now
    try {
      // The counts of the call's tags ride in the same round trip, for the load that may follow.
      const looked = await core.lookup([encoded], true, load.tags)
      readAt = clock.now()
      const fresh = freshValue(looked, 0, readAt)
      if (fresh !== MISSING) {
        if (seen !== undefined) seen.tier = 'l2'
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
      if (error instanceof FlipCacheError)
        this.#config.report(error, { operation: 'getOrSet', key: this.#config.where(encoded) })
      redisDown = true
      if (kept !== undefined && kept.freshUntil > clock.now()) {
        if (seen !== undefined) seen.tier = 'l1'
        return core.hit(encoded, kept, now)
      }
    }
    // The cache closed while Redis was asked: no loader is called any more.
    this.#throwIfClosing()
    // Redis answered: it is the authority (a key it no longer has was deleted, not lost). Redis
    // failed: the L1 copy is the best stale value there is.
    if (redisDown && kept !== undefined) stale ??= { value: kept.value }
    core.count(MISSING)
    // The read came out of the call's time for Redis; the lock and the store share what is left.
    const budget = new RedisBudget(this.#config.timeoutMs - (readAt - now))
    if (seen !== undefined) seen.tier = 'loader'
    if (stale === undefined) {
      return this.#load({
        key,
        encoded,
        loader,
        load,
        stale: undefined,
        mode: redisDown ? withoutRedis : foreground,
        budget,
      })
    }
    const staleValue = stale.value
    // Stale within grace: the soft timeout says how long a fresh value is worth waiting for (0: not at all).
    const mode = redisDown ? withoutRedis : load.softTimeoutMs > 0 ? foreground : background
    const loading = this.#load({ key, encoded, loader, load, stale: staleValue, mode, budget })
    const served = preferFresh(loading, staleValue, load.softTimeoutMs)
    return seen === undefined ? served : servedStale(loading, served, seen)
  }

  /** getOrSetMany (see batch-read-through.ts): `encoded[i]` is `keys[i]` encoded; `keys` is not empty. */
  getOrSetMany(
    keys: K[],
    encoded: string[],
    loader: BatchLoader<K, V>,
    load: ResolvedLoad,
    encodeKey: (key: K) => string,
    tiers?: Record<Tier, number>,
  ): Promise<V[]> {
    return this.#batch.getOrSetMany(keys, encoded, loader, load, encodeKey, tiers)
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
    const budget = RedisBudget.unbounded()
    this.#load({ key, encoded, loader, load, stale: value, mode, budget }).catch(() => {})
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
    const { encoded, load, stale, mode, budget } = job
    this.#backoff.check(encoded, job.loader)
    let lock: HeldLock | undefined
    // Redis failed the read, or did not answer the lock in time: the caller does not wait for a
    // store that would only fail (or land) after `timeout`.
    let storeApart = mode.redisDown === true
    if (load.lock !== undefined && !mode.redisDown) {
      const outcome = await lockOrWait(this.#lockWait, encoded, load.lock, mode, budget)
      if (outcome.kind === 'found') return outcome.value
      // Another process holds the lock for a background refresh: it refreshes, this one keeps serving.
      if (outcome.kind === 'busy') return stale as V
      if (outcome.kind === 'unlocked' && outcome.slow) storeApart = true
      if (outcome.kind === 'locked') {
        lock = outcome.lock
        this.#hold(lock, encoded)
      }
    }
    let loaded = false
    try {
      // The cache closed while the lock was taken: the loader is not called.
      this.#throwIfClosing()
      const { key, loader } = job
      // The call's tags are stamped before the loader runs: an invalidation while it loads (its
      // source may have changed under it) leaves the value stamped older, a miss everywhere.
      const ownStamps = await stampsFor(this.#core, load.tags, this.#config.report)
      this.#throwIfClosing()
      const timedOut = () => new LoaderTimeoutError(this.#config.where(encoded), load.hardTimeoutMs ?? 0)
      const decisions = new LoadDecisions(load, this.#config.fits)
      const traceAs = () => ({
        cache: this.#config.name,
        key: encoded,
        keyCount: 1,
        background: stale !== undefined,
      })
      const value = await this.#loaders.call(
        loader,
        key,
        stale,
        load.hardTimeoutMs,
        timedOut,
        decisions,
        traceAs,
      )
      // close() gave up on this load: its value is dropped, since the cache no longer writes.
      if (this.#abandoned) throw this.#config.closed()
      // ctx.fail() holds even when the loader caught what it threw and returned a value.
      decisions.throwIfFailed()
      const storing = decisions.storing(load, () => this.#config.notFound(value))
      if (storing === undefined) {
        // Skipped (or a "not found" kept for no time): the callers get the value, nothing is stored,
        // and the lock is released as given up, so that waiters in other processes load for themselves.
        this.#backoff.succeeded(encoded)
        return value
      }
      // Tags the loader added are stamped as it returns.
      const addedStamps = await stampsFor(this.#core, decisions.addedTags, this.#config.report)
      if (ownStamps === UNSTAMPED || addedStamps === UNSTAMPED) {
        // Redis could not give the tags' counts: the callers get the value, nothing keeps it.
        this.#backoff.succeeded(encoded)
        return value
      }
      const stamps = addedStamps === undefined ? ownStamps : [...(ownStamps ?? []), ...addedStamps]
      // A value the cache cannot store fails the call here, before anything is kept.
      const loadedOne: [string, LoadedEntry][] = [
        [encoded, loadedEntry(this.#core, encoded, value, storing, stamps)],
      ]
      const store = (): Promise<void> => storeLoaded(this.#core, loadedOne, this.#config.report)
      if (storeApart) {
        keepLoaded(this.#core, loadedOne)
        void store()
      } else if ((await budget.spend(store())) === LATE) {
        // Redis has not acknowledged the store within the call's time: the caller has the value,
        // L1 keeps it, and the store lands (or fails, reported) in the background.
        keepLoaded(this.#core, loadedOne)
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
      this.#backoff.failed(encoded, job.loader, failure)
      // With a stale value to fall back on, the caller is served; the failure must still be seen.
      if (stale !== undefined) {
        const operation = mode === background ? 'refresh' : 'getOrSet'
        this.#config.report(failure, { operation, key: this.#config.where(encoded), level: 'warn' })
      }
      throw failure
    } finally {
      if (lock !== undefined) {
        const outcome = loaded ? 'loaded' : 'released'
        this.#held.delete(lock)
        tellLock(this.#config.name, encoded, 'released')
        // Waiters read the value on the notice; releasing needs no one to wait for it (it is sent
        // after the store, so Redis has the value first). Past close(), which let the lock go
        // already, the cache sends nothing.
        const tell = (): Promise<void> =>
          this.#abandoned ? Promise.resolve() : this.#locks.done(encoded, outcome)
        lock.release().then(tell, tell)
      }
    }
  }

  /**
   * A batch load under `held` locks ended (as #runLoad's does): the locks are released (a group's in
   * one script), then their waiters told (in one message).
   */
  #finish(held: readonly [lock: HeldLock, encoded: string][], loaded: boolean): void {
    for (const [lock, encoded] of held) {
      this.#held.delete(lock)
      tellLock(this.#config.name, encoded, 'released')
    }
    const tell = (): Promise<void> =>
      this.#abandoned
        ? Promise.resolve()
        : this.#locks.doneMany(
            held.map(([, encoded]) => encoded),
            loaded ? 'loaded' : 'released',
          )
    Promise.allSettled(held.map(([lock]) => lock.release())).then(tell)
  }

  /** The value of `encoded` in Redis if it is fresh until after `newerThan` (and now), else `MISSING`. */
  async #readFresh(encoded: string, newerThan: number): Promise<V | typeof MISSING> {
    const looked = await this.#core.lookup([encoded])
    return freshValue(looked, 0, Math.max(clock.now(), newerThan))
  }

  /** A lock taken for `encoded`: held until released (close() lets go of those still held). */
  #hold(lock: HeldLock, encoded: string): void {
    this.#held.set(lock, encoded)
    tellLock(this.#config.name, encoded, 'acquired')
  }

  #throwIfClosing(): void {
    if (this.#closing) throw this.#config.closed()
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
    this.#config.report(error, { operation: 'lockRelease' })
  }
}
