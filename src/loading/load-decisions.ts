import { describe } from '../errors.js'
import type { Duration } from '../expire/duration.js'
import { type ExpireTime, parseExpireTime } from '../expire/option-values.js'
import { checkTags, maxTagsPerEntry } from '../tags/tag-stamps.js'
import { checkLoad, grace, type ResolvedLoad } from './load-options.js'

/** The options of `ctx.setTtl`. */
export interface LoaderTtlOptions {
  /** How long past `expireTime` the value may still be served stale (it needs an `expireTime`). @default 0 */
  grace?: number | Duration
}

/** What a loader may decide about the value it loads, through its context (see docs/read-through.md). */
export interface LoaderDecisionMethods {
  /**
   * Stores this value with this freshness and `grace` (0 unless given) instead of the call's
   * `expireTime` and `grace` (an access token cached until it expires); it is not refreshed ahead.
   * Throws a `TypeError` for a bad duration, for a `grace` without an `expireTime`, for a `grace` on
   * hash storage with `entryExpiry: 'bucket'`, for a `grace` with a freshness shorter than the
   * `expireTime` of a call with `refreshAhead`, and once the loader has returned.
   */
  setTtl(expireTime: ExpireTime, options?: LoaderTtlOptions): void
  /** Stores nothing (neither L1 nor Redis): the callers still get the value, and the next call loads again. */
  skip(): void
  /**
   * Adds tags to the value (to the call's `tags`; at most 64 in all), for what the loader learns as
   * it loads. Their counts are taken when the value is stored (the call's own, before the loader
   * runs). Throws a `TypeError` for a bad tag, and once the loader has returned.
   */
  addTags(tags: readonly string[]): void
  /**
   * Fails the load with `error`, as throwing it would: nothing is stored, a stale value within grace
   * is served in its place (and `E_LOADER` reported), else the call rejects with `E_LOADER`
   * (`cause`: `error`); the failure back-off applies. It throws, so `return ctx.fail(error)` works,
   * and it holds even if the loader catches what it throws and returns a value.
   */
  fail(error: unknown): never
}

/**
 * The decisions of one loader call, taken through its context: another freshness (`setTtl`), no
 * store (`skip`), a failure (`fail`). They are open while the loader runs: a call after it returned
 * (or was given up on) is refused with a `TypeError`.
 */
export class LoadDecisions implements LoaderDecisionMethods {
  readonly #load: ResolvedLoad
  readonly #fits: (load: ResolvedLoad) => void
  #open = true
  #ttl: ResolvedLoad | undefined
  #skipped = false
  #failure: { error: unknown } | undefined
  /** Tags added through `addTags`, beyond the call's own. */
  #addedTags: string[] | undefined

  /** `fits` throws for a load the cache's storage cannot keep (`checkLoadFits`). */
  constructor(load: ResolvedLoad, fits: (load: ResolvedLoad) => void) {
    this.#load = load
    this.#fits = fits
  }

  setTtl(expireTime: ExpireTime, options?: LoaderTtlOptions): void {
    this.#checkOpen('setTtl')
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null || Array.isArray(options)) {
        throw new TypeError(`Expected the options of ctx.setTtl() to be { grace }, got ${describe(options)}`)
      }
      for (const field of Object.keys(options)) {
        if (field !== 'grace')
          throw new TypeError(`Unknown ctx.setTtl() option \`${field}\`; known options: grace`)
      }
    }
    const expireMs = parseExpireTime(expireTime, 'ctx.setTtl(expireTime)')
    const graceMs = options?.grace === undefined ? 0 : grace(options.grace, 'ctx.setTtl(…, { grace })')
    const call = this.#load
    if (graceMs > 0 && call.refreshAhead !== undefined && call.expireMs !== null) {
      if (expireMs !== null && expireMs < call.expireMs) {
        throw new TypeError(
          `ctx.setTtl() with a \`grace\` cannot shorten the freshness of a call with \`refreshAhead\`: readers measure the refresh point against the call's expireTime (${call.expireMs} ms), so a value fresh for ${expireMs} ms would be refreshed at every read; drop the grace or the call's refreshAhead`,
        )
      }
    }
    // The value is not refreshed ahead: it is stored with a header only for a grace, and a read
    // past its freshness refreshes it as stale-while-revalidate does.
    const load: ResolvedLoad = { ...call, expireMs, graceMs, refreshAhead: undefined }
    checkLoad(load)
    this.#fits(load)
    this.#ttl = load
  }

  skip(): void {
    this.#checkOpen('skip')
    this.#skipped = true
  }

  addTags(tags: readonly string[]): void {
    this.#checkOpen('addTags')
    const added = checkTags(tags, 'ctx.addTags(tags)')
    const own = new Set(this.#load.tags)
    const all = new Set([...own, ...(this.#addedTags ?? []), ...added])
    if (all.size > maxTagsPerEntry) {
      throw new TypeError(
        `ctx.addTags(): a value carries at most ${maxTagsPerEntry} tags, this one would carry ${all.size}`,
      )
    }
    this.#fits({ ...this.#load, tags: [...all] })
    this.#addedTags = [...all].filter((tag) => !own.has(tag))
  }

  /** The tags added through `addTags` (beyond the call's own), if any. */
  get addedTags(): readonly string[] | undefined {
    return this.#addedTags
  }

  fail(error: unknown): never {
    this.#checkOpen('fail')
    this.#failure = { error }
    throw error
  }

  /** The loader has returned (or was given up on): later decisions are refused. */
  close(): void {
    this.#open = false
  }

  /** Throws the error given to `fail`, if the loader failed through its context. */
  throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error
  }

  /**
   * How to store the loaded value, or `undefined` to store nothing: as skipped; as `setTtl` said; as
   * not found (`notFoundTtl`, never with grace or refresh-ahead, so a stale "not found" is never
   * served); else with the call's options. `isNotFound` (the `notFound` option) is asked only when
   * neither `skip` nor `setTtl` decided.
   */
  storing(load: ResolvedLoad, isNotFound: () => boolean): ResolvedLoad | undefined {
    if (this.#skipped) return undefined
    if (this.#ttl !== undefined) return this.#ttl
    if (!isNotFound()) return load
    const { notFoundMs } = load
    if (notFoundMs === false) return undefined
    return {
      ...load,
      expireMs: notFoundMs === undefined ? load.expireMs : notFoundMs,
      graceMs: 0,
      refreshAhead: undefined,
    }
  }

  #checkOpen(method: string): void {
    if (!this.#open) {
      throw new TypeError(
        `ctx.${method}() was called after the loader returned (or was given up on): the load is decided already`,
      )
    }
  }
}
