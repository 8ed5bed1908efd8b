import { EventEmitter } from 'node:events'
import { DecodeError, describe, type FlipCacheError } from '../../errors.js'
import type { RedisStatusChange } from '../../flipcache-types.js'
import type { LuaScript } from '../../store/scripts.js'
import { StructureBase } from '../structure-base.js'
import { fixedWindowScript } from './fixed-window.js'
import {
  type RateLimitAlgorithm,
  type RateLimiterOptions,
  resolveRateLimiterOptions,
} from './rate-limit-options.js'
import { outcomeOf, type RateLimitResult } from './rate-limit-result.js'
import { slidingLogScript } from './sliding-log.js'
import { slidingWindowScript } from './sliding-window.js'

/** The events a rate limiter emits. */
export interface RateLimiterEvents {
  /**
   * A failure no caller was waiting for: a key found damaged (another type, values that are not
   * counts, no expiry, a window ahead of the server's clock), deleted and counted from zero.
   */
  error: [error: FlipCacheError]
  /** The client's circuit breaker marked Redis down (calls fail at once) or up again. */
  redis: [change: RedisStatusChange]
}

const scripts: Record<RateLimitAlgorithm, LuaScript> = {
  'sliding-log': slidingLogScript,
  'sliding-window': slidingWindowScript,
  'fixed-window': fixedWindowScript,
}

/**
 * A rate limit per key, kept in Redis so that every instance shares it: at most `limit` units per
 * `window` for each key, counted on the Redis server's clock. Each call is one atomic script (one
 * round trip, joining the tick's pipeline of every flipcache class on the client), so concurrent
 * callers in any number of processes never both take the last unit. Key `k` lives at the Redis key
 * `${name}:${encoded k}` and expires once it holds nothing.
 */
export class RateLimiter<K = string> extends EventEmitter<RateLimiterEvents> {
  /** Units admitted per key per window. */
  readonly limit: number
  /** The window, in milliseconds. */
  readonly windowMs: number
  /** How hits are counted. */
  readonly algorithm: RateLimitAlgorithm
  readonly #base: StructureBase<K>
  readonly #script: LuaScript

  constructor(name: string, options: RateLimiterOptions<K>) {
    super()
    const resolved = resolveRateLimiterOptions(options)
    this.limit = resolved.limit
    this.windowMs = resolved.windowMs
    this.algorithm = resolved.algorithm
    this.#script = scripts[resolved.algorithm]
    this.#base = new StructureBase('RateLimiter', name, resolved, this as EventEmitter)
  }

  /** The namespace: key `k` lives at the Redis key `${name}:${encoded k}`. */
  get name(): string {
    return this.#base.name
  }

  /**
   * Counts a hit of `cost` units on `key` if they fit in what the window has left, in one atomic
   * step; a denied hit takes nothing. `cost` is an integer from 1 to `limit` (a `TypeError`
   * otherwise: a hit above the limit could never be allowed). Rejects with `E_REDIS` / `E_TIMEOUT`
   * when Redis fails: whether to admit then is the caller's choice.
   */
  hit(key: K, cost = 1): Promise<RateLimitResult> {
    return this.#base.call(() => this.#run('hit', key, cost))
  }

  /** What `hit(key, cost)` would say now, without taking anything. */
  peek(key: K, cost = 1): Promise<RateLimitResult> {
    return this.#base.call(() => this.#run('peek', key, cost))
  }

  /** Forgets every hit of `key`: its whole limit is back. Resolves with whether it held any. */
  reset(key: K): Promise<boolean> {
    return this.#base.call(async () => {
      const removed = await this.#base.transport.command<number>('DEL', [this.#base.redisKey(key)])
      return removed > 0
    })
  }

  /** Rejects the calls still waiting with `E_CLOSED`, and closes a client the limiter opened. Idempotent. */
  close(): Promise<void> {
    return this.#base.close()
  }

  async #run(mode: 'hit' | 'peek', key: K, cost: number): Promise<RateLimitResult> {
    if (!Number.isSafeInteger(cost) || cost < 1 || cost > this.limit) {
      throw new TypeError(
        `Expected \`cost\` to be an integer from 1 to the limit (${this.limit}), got ${describe(cost)}`,
      )
    }
    const redisKey = this.#base.redisKey(key)
    const reply = await this.#script.run<unknown>(
      this.#base.transport,
      [redisKey],
      [mode, this.limit, this.windowMs, cost],
    )
    const { result, damaged } = outcomeOf(reply, redisKey)
    if (damaged)
      this.#base.report(new DecodeError(redisKey, 'the rate-limit state (it was reset)'), {
        operation: 'limit',
      })
    return result
  }
}
