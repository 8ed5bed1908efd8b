import * as clock from '../clock.js'
import type { FlipCacheError } from '../errors.js'

/** The wait after the first failure of a key's loader; it doubles with each further failure. */
const firstWaitMs = 100
const longestWaitMs = 10_000
/** Keys with failures remembered at once; past it, the memory starts over. */
const rememberedKeys = 10_000

interface Failing {
  /** Who failed: the loader function, or the function it stands for (see `loaderStandsFor`). */
  loader: object
  failures: number
  retryAt: number
  error: FlipCacheError
}

/** Closures made per call that stand for one function (wrap()'s), so that they back off as one loader. */
const standsFor = new WeakMap<object, object>()

/** Marks `closure` as a call of `source`: the back-off treats it as the loader `source`. */
export function loaderStandsFor<F extends object>(closure: F, source: object): F {
  standsFor.set(closure, source)
  return closure
}

function identityOf(loader: object): object {
  return standsFor.get(loader) ?? loader
}

/**
 * Keeps a broken source from being hammered: after a key's loader fails, calls with the same loader
 * within the wait (100 ms, doubling with each failure up to 10 s) get its last failure at once
 * instead of calling it again. A call with another loader is not given that loader's failure: it
 * runs, and a failure of its own starts its own wait. A success forgets the key.
 */
export class FailureBackoff {
  #failing = new Map<string, Failing>()

  /** Throws the key's last failure while its wait lasts, if `loader` is the one that failed. */
  check(key: string, loader: object): void {
    const failing = this.#failing.get(key)
    if (failing !== undefined && failing.loader === identityOf(loader) && clock.now() < failing.retryAt) {
      throw failing.error
    }
  }

  failed(key: string, loader: object, error: FlipCacheError): void {
    const identity = identityOf(loader)
    const previous = this.#failing.get(key)
    const failures = (previous?.loader === identity ? previous.failures : 0) + 1
    const waitMs = Math.min(longestWaitMs, firstWaitMs * 2 ** (failures - 1))
    if (this.#failing.size >= rememberedKeys) this.#failing = new Map()
    this.#failing.set(key, { loader: identity, failures, retryAt: clock.now() + waitMs, error })
  }

  succeeded(key: string): void {
    this.#failing.delete(key)
  }
}
