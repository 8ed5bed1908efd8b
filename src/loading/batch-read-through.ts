import * as clock from '../clock.js'
import { freshValue, MISSING } from '../core/reads.js'
import { FlipCacheError, LoaderError, LoaderTimeoutError } from '../errors.js'
import type { HeldLock } from '../lock/redis-lock.js'
import type { Tier } from '../observe/channels.js'
import {
  type BatchLoader,
  type BatchPort,
  type LoadMode,
  type LockHooks,
  type LockOutcome,
  ReadsUnderLock,
} from './batch-port.js'
import { valuesOfBatch } from './batch-result.js'
import { LoadDecisions } from './load-decisions.js'
import { background, foreground, preferFresh, withoutRedis } from './load-modes.js'
import type { ResolvedLoad } from './load-options.js'
import {
  keepLoaded,
  type LoadedEntry,
  loadedEntry,
  stampsFor,
  storeLoaded,
  UNSTAMPED,
} from './loaded-entry.js'
import { LATE, RedisBudget } from './redis-budget.js'

export type { BatchLoader, BatchLoaderContext, LockHooks } from './batch-port.js'

/** One call's keys, each once. */
interface Asked<K> {
  key: K
  encoded: string
  /** Where the call first asked for it. */
  position?: number
}

/** One key of a batch this call loads itself. */
interface Job<K, V> extends Asked<K> {
  stale: V | undefined
  mode: LoadMode
  resolve: (value: V) => void
  reject: (error: unknown) => void
  lock?: HeldLock
}

/** What one call shares among its keys. */
interface Batch<K, V> {
  loader: BatchLoader<K, V>
  load: ResolvedLoad
  budget: RedisBudget
  encodeKey: (key: K) => string
}

/**
 * getOrSetMany: getOrSet for many keys at once. L1 hits are answered locally, the rest read in one
 * round trip; the keys to load join loads already running in this process (getOrSet's or another
 * batch's), and the others are locked in one round trip. The locked keys are loaded by one loader
 * call and stored by one write; keys another process holds are waited for concurrently, and those
 * whose holder gave up (or past the lock's `wait`) are loaded by one more loader call (one per
 * set of keys that come free together).
 */
export class BatchReadThrough<K, V> {
  readonly #port: BatchPort<V>

  constructor(port: BatchPort<V>) {
    this.#port = port
  }

  async getOrSetMany(
    keys: K[],
    encoded: string[],
    loader: BatchLoader<K, V>,
    load: ResolvedLoad,
    encodeKey: (key: K) => string,
    tiers?: Record<Tier, number>,
  ): Promise<V[]> {
    const { core } = this.#port
    const now = clock.now()
    // Each key once: a key asked for twice is read and loaded once.
    const firstAt = new Map<string, number>()
    const asked: Asked<K>[] = []
    for (let index = 0; index < keys.length; index++) {
      const code = encoded[index] as string
      if (firstAt.has(code)) continue
      firstAt.set(code, asked.length)
      asked.push({ key: keys[index] as K, encoded: code, position: index })
    }
    const values = new Array<Promise<V> | V>(asked.length)
    const due: Job<K, V>[] = []
    const dueIfStale = (at: number, freshUntil: number | undefined, value: V): void => {
      const item = asked[at] as Asked<K>
      if (freshUntil !== undefined && this.#refreshDue(item.encoded, load, freshUntil))
        due.push(job(item, value, { waitForHolder: false, newerThan: freshUntil }))
    }
    const reading: number[] = []
    for (let at = 0; at < asked.length; at++) {
      const { encoded: code } = asked[at] as Asked<K>
      const entry = core.state.local(code, now)
      if (entry === undefined) {
        reading.push(at)
        continue
      }
      values[at] = core.hit(code, entry, now)
      dueIfStale(at, entry.freshUntil, entry.value)
    }
    let readAt = now
    const toLoad: { at: number; stale: V | undefined }[] = []
    let redisDown = false
    if (reading.length > 0) {
      const readCodes = reading.map((at) => (asked[at] as Asked<K>).encoded)
      const kept = readCodes.map((code) => core.state.peekStale(code, now))
      try {
        const looked = await core.lookup(readCodes)
        readAt = clock.now()
        for (let index = 0; index < reading.length; index++) {
          const at = reading[index] as number
          const fresh = freshValue(looked, index, readAt)
          if (fresh !== MISSING) {
            core.count(fresh)
            values[at] = core.served(readCodes[index] as string, fresh)
            dueIfStale(at, looked.freshUntil?.[index], fresh)
            continue
          }
          const value = looked.values[index]
          toLoad.push({ at, stale: value === undefined || value === MISSING ? undefined : value })
        }
      } catch (error) {
        // Redis is failing: L1 and the loader answer. The failure is not the caller's, so report it.
        if (error instanceof FlipCacheError) this.#port.config.report(error)
        redisDown = true
        const afterwards = clock.now()
        for (let index = 0; index < reading.length; index++) {
          const at = reading[index] as number
          const copy = kept[index]
          if (copy !== undefined && copy.freshUntil > afterwards) {
            values[at] = core.hit(readCodes[index] as string, copy, now)
            continue
          }
          toLoad.push({ at, stale: copy?.value })
        }
      }
    }
    const batchOf = (budget: RedisBudget): Batch<K, V> => ({ loader, load, budget, encodeKey })
    if (due.length > 0) this.#loadMany(due, batchOf(RedisBudget.unbounded()))
    if (toLoad.length > 0) {
      // The cache closed while Redis was asked: no loader is called any more.
      if (this.#port.closing()) throw this.#port.config.closed()
      const jobs = toLoad.map(({ at, stale }) => {
        core.count(MISSING)
        const mode = redisDown
          ? withoutRedis
          : stale === undefined || load.softTimeoutMs > 0
            ? foreground
            : background
        return job(asked[at] as Asked<K>, stale, mode)
      })
      // The read came out of the call's time for Redis; the locks and the store share what is left.
      const loading = this.#loadMany(
        jobs,
        batchOf(new RedisBudget(this.#port.config.timeoutMs - (readAt - now))),
      )
      for (let index = 0; index < toLoad.length; index++) {
        const { at, stale } = toLoad[index] as { at: number; stale: V | undefined }
        const code = (asked[at] as Asked<K>).encoded
        const value = loading[index] as Promise<V>
        const settled = stale === undefined ? value : preferFresh(value, stale, load.softTimeoutMs)
        // With cloneOnRead, each caller gets a copy of its own, as getOrSet's do.
        values[at] = settled.then((served) => core.served(code, served))
      }
    }
    if (tiers !== undefined) {
      tiers.loader = toLoad.length
      tiers.l2 = redisDown ? 0 : reading.length - toLoad.length
      tiers.l1 = asked.length - tiers.loader - tiers.l2
    }
    const unique = await Promise.all(values)
    return encoded.map((code, index) => {
      const at = firstAt.get(code) as number
      const value = unique[at] as V
      // A key asked for twice: with cloneOnRead, each place gets a copy of its own.
      return index === asked[at]?.position ? value : core.served(code, value)
    })
  }

  /** Whether a fresh value read is past its refresh-ahead point and not loading already (as getOrSet's). */
  #refreshDue(encoded: string, load: ResolvedLoad, freshUntil: number): boolean {
    if (load.refreshAhead === undefined || load.expireMs === null || this.#port.closing()) return false
    if (freshUntil === Number.POSITIVE_INFINITY || this.#port.loads.has(encoded)) return false
    return clock.now() >= freshUntil - (1 - load.refreshAhead) * load.expireMs
  }

  /**
   * Loads of `jobs`, in order: a key loading in this process already is joined; the others are
   * registered as loading (so that getOrSet calls join them) and loaded by `#run`.
   */
  #loadMany(jobs: Job<K, V>[], batch: Batch<K, V>): Promise<V>[] {
    const { loads } = this.#port
    const own: Job<K, V>[] = []
    const promises = jobs.map((item) => {
      const running = loads.get(item.encoded)
      if (running !== undefined) return running
      const loading = new Promise<V>((resolve, reject) => {
        item.resolve = resolve
        item.reject = reject
      })
      loads.set(item.encoded, loading)
      const forget = (): void => {
        if (loads.get(item.encoded) === loading) loads.delete(item.encoded)
      }
      loading.then(forget, forget)
      own.push(item)
      return loading
    })
    if (own.length > 0) void this.#run(own, batch)
    return promises
  }

  /** Settles every job (never rejects): back-off, then locks (or none), then one loader call per group. */
  async #run(jobs: Job<K, V>[], batch: Batch<K, V>): Promise<void> {
    const { backoff } = this.#port
    const { load } = batch
    const ready: Job<K, V>[] = []
    for (const item of jobs) {
      try {
        backoff.check(item.encoded, batch.loader)
        ready.push(item)
      } catch (error) {
        item.reject(error)
      }
    }
    const settings = load.lock
    const redisDown = ready.some((item) => item.mode.redisDown === true)
    if (settings === undefined || redisDown) {
      await this.#loadGroup(ready, batch, redisDown)
      return
    }
    const waiting: Promise<LockOutcome<V>>[] = []
    const waited: Job<K, V>[] = []
    const now: Job<K, V>[] = []
    let storeApart = false
    // The batch's locks: taken in one script per slot, extended and released together. On a single
    // node, the keys are read in the same round trip, right after their locks are taken.
    const reads = new ReadsUnderLock(this.#port.core)
    const lockedKeys = new Map<HeldLock, string>()
    const group = this.#port.lockGroup(settings.ttlMs, (locks) => {
      reads.prefetch(locks.map((held) => lockedKeys.get(held) as string))
    })
    const hooks = (item: Job<K, V>, waiting: () => void): LockHooks<V> => ({
      waiting,
      readUnderLock: reads.read,
      lock: (lockKey, onLost) => {
        const held = group.lock(lockKey, onLost)
        lockedKeys.set(held, item.encoded)
        return held
      },
    })
    // Every key's first attempt goes out in the same tick (one round trip); a key found locked
    // elsewhere says so through `waiting`, so that the keys locked here are loaded without delay.
    const firsts = ready.map(async (item) => {
      let wait: (() => void) | undefined
      const began = new Promise<'waiting'>((resolve) => {
        wait = () => resolve('waiting')
      })
      const outcome = this.#port.lockOrWait(
        item.encoded,
        settings,
        item.mode,
        batch.budget,
        hooks(item, () => wait?.()),
      )
      const first = await Promise.race([
        outcome.then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
        began,
      ])
      if (first === 'waiting') {
        waiting.push(outcome)
        waited.push(item)
        return
      }
      if ('error' in first) {
        item.reject(first.error)
        return
      }
      if (this.#settled(item, first.value, now)) return
      if (first.value.kind === 'unlocked' && first.value.slow) storeApart = true
    })
    await Promise.all(firsts)
    const loadingNow = this.#loadGroup(now, batch, storeApart)
    // Keys another process holds: each read on its holder's notice; the rest loaded together after.
    // A key that comes free (its holder gave up, or the wait passed) is loaded soon after, with the
    // others that came free in the same turn of the event loop: a lock taken here is never held
    // while this call waits for another process's key (two batches could wait on each other).
    const groups: Promise<void>[] = [loadingNow]
    let freed: Job<K, V>[] | undefined
    const loadFreed = (item: Job<K, V>): void => {
      if (freed === undefined) {
        const group: Job<K, V>[] = []
        freed = group
        setImmediate(() => {
          freed = undefined
          groups.push(this.#loadGroup(group, batch, false))
        })
      }
      freed.push(item)
    }
    await Promise.all(
      waited.map(async (item, index) => {
        try {
          const toLoad: Job<K, V>[] = []
          this.#settled(item, await (waiting[index] as Promise<LockOutcome<V>>), toLoad)
          if (toLoad.length > 0) loadFreed(item)
        } catch (error) {
          item.reject(error)
        }
      }),
    )
    // The last keys freed are handed to their group on the next turn: wait for it, then for every group.
    if (freed !== undefined) await new Promise((resolve) => setImmediate(resolve))
    await Promise.all(groups)
  }

  /** Settles `item` by its lock's outcome, or adds it to `toLoad` (holding its lock); true once settled. */
  #settled(item: Job<K, V>, outcome: LockOutcome<V>, toLoad: Job<K, V>[]): boolean {
    if (outcome.kind === 'found') {
      item.resolve(outcome.value)
      return true
    }
    // Another process holds the lock for a background refresh: it refreshes, this one keeps serving.
    if (outcome.kind === 'busy') {
      item.resolve(item.stale as V)
      return true
    }
    if (outcome.kind === 'locked') {
      item.lock = outcome.lock
      this.#port.hold(outcome.lock, item.encoded)
    }
    toLoad.push(item)
    return false
  }

  /** One loader call for `jobs`, their values stored by one write; settles every job, never rejects. */
  async #loadGroup(jobs: Job<K, V>[], batch: Batch<K, V>, storeApart: boolean): Promise<void> {
    if (jobs.length === 0) return
    const port = this.#port
    const { config } = port
    const { load, loader } = batch
    const first = jobs[0] as Job<K, V>
    let loaded = false
    try {
      if (port.closing()) throw config.closed()
      const keys = jobs.map((item) => item.key)
      const stale = new Map<K, V>()
      for (const item of jobs) if (item.stale !== undefined) stale.set(item.key, item.stale)
      // The call's tags are stamped before the loader runs (see ReadThrough: an invalidation while
      // it loads leaves the values stamped older).
      const stamps = await stampsFor(port.core, load.tags, config.report)
      if (port.closing()) throw config.closed()
      const timedOut = () => new LoaderTimeoutError(config.where(first.encoded), load.hardTimeoutMs ?? 0)
      const result = await port.loaders.run(
        (signal) => loader([...keys], { keys, stale, signal }),
        load.hardTimeoutMs,
        timedOut,
        () => ({ cache: config.name, key: first.encoded, keyCount: keys.length, background: stale.size > 0 }),
      )
      if (port.abandoned()) throw config.closed()
      const values = valuesOfBatch(result, jobs, batch.encodeKey, config.where)
      // A value the cache cannot store fails the group here, before anything is kept. A "not found"
      // is kept for notFoundTtl (without grace), or not at all, as getOrSet keeps it.
      const decisions = new LoadDecisions(load, config.fits)
      const loadedAll: [string, LoadedEntry][] = []
      // Redis could not give the tags' counts: the callers get the values, nothing keeps them.
      if (stamps !== UNSTAMPED)
        jobs.forEach((item, index) => {
          const value = values[index] as V
          const storing = decisions.storing(load, () => config.notFound(value))
          if (storing !== undefined)
            loadedAll.push([item.encoded, loadedEntry(port.core, item.encoded, value, storing, stamps)])
        })
      decisions.close()
      const stored = storeLoaded(port.core, loadedAll, config.report)
      if (storeApart) keepLoaded(port.core, loadedAll)
      else if ((await batch.budget.spend(stored)) === LATE) keepLoaded(port.core, loadedAll)
      loaded = true
      jobs.forEach((item, index) => {
        port.backoff.succeeded(item.encoded)
        item.resolve(values[index] as V)
      })
    } catch (error) {
      this.#failed(jobs, batch, error)
    } finally {
      const held: [HeldLock, string][] = []
      for (const item of jobs) if (item.lock !== undefined) held.push([item.lock, item.encoded])
      if (held.length > 0) port.finish(held, loaded)
    }
  }

  #failed(jobs: Job<K, V>[], batch: Batch<K, V>, error: unknown): void {
    const port = this.#port
    // Every caller was told E_CLOSED: a failure now is nobody's news, nor a reason to back off.
    if (port.closing()) {
      for (const item of jobs) item.reject(error)
      return
    }
    const first = jobs[0] as Job<K, V>
    const failure =
      error instanceof FlipCacheError
        ? error
        : new LoaderError(port.config.where(first.encoded), { cause: error })
    for (const item of jobs) port.backoff.failed(item.encoded, batch.loader, failure)
    // Keys with a stale value fall back on it; the failure must still be seen (once).
    if (jobs.some((item) => item.stale !== undefined)) port.config.report(failure)
    for (const item of jobs) item.reject(failure)
  }
}

function job<K, V>(asked: Asked<K>, stale: V | undefined, mode: LoadMode): Job<K, V> {
  return { key: asked.key, encoded: asked.encoded, stale, mode, resolve: () => {}, reject: () => {} }
}
