import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { describe, type FlipCacheError } from '../../errors.js'
import type { RedisStatusChange } from '../../flipcache-types.js'
import { isCluster } from '../../redis/slot-router.js'
import { within } from '../../within.js'
import { StructureBase } from '../structure-base.js'
import type { CounterAddress } from './counter-calls.js'
import { CounterCalls } from './counter-calls.js'
import { type FlipCounterOptions, resolveCounterOptions } from './counter-options.js'
import { CounterPersister } from './counter-persister.js'
import { CounterRestorer } from './counter-restorer.js'

/** The events of a {@link FlipCounter}. */
export interface FlipCounterEvents {
  /** A failure no caller awaits: a background hand-over to `persist` that failed (retried), a stored value that does not decode. */
  error: [error: FlipCacheError]
  /** The client's circuit breaker marked Redis down or up again. */
  redis: [change: RedisStatusChange]
}

/**
 * Integer counters in Redis (article 002, "Counters"): each increment is one atomic step with the
 * expiry, a missing counter is restored from the source of truth once across every process without
 * losing the increments that raced the restore, and changed counters can be handed back to the
 * source of truth in batches, at-least-once. Layout and guarantees: docs/counters.md.
 */
export class FlipCounter<K = string> extends EventEmitter<FlipCounterEvents> {
  /** The namespace: counter `k` lives at the Redis key `${name}:${encoded k}` (a hash). */
  readonly name: string
  readonly #base: StructureBase<K>
  readonly #calls: CounterCalls
  readonly #restorer: CounterRestorer<K>
  readonly #persister: CounterPersister<K> | undefined
  readonly #timer: NodeJS.Timeout | undefined
  readonly #closeTimeoutMs: number
  readonly #tokenPrefix = randomBytes(6).toString('hex')
  #callsMade = 0

  constructor(name: string, options: FlipCounterOptions<K> = {}) {
    super()
    const resolved = resolveCounterOptions(options)
    const base = new StructureBase<K>('FlipCounter', name, resolved, this)
    if (resolved.persist !== undefined && !resolved.hashTag && isCluster(base.client)) {
      void base.close()
      throw new TypeError(
        `FlipCounter \`${name}\` on a Redis Cluster needs \`hashTag: true\` with \`persist\`: ` +
          'each increment records its counter in the dirty set in the same step, so both must share a slot',
      )
    }
    this.name = name
    this.#base = base
    this.#closeTimeoutMs = resolved.closeTimeoutMs
    // The name's own keys all end in `:` + key; `#dirty` and `#inflight` can never be one of them.
    const bookkeeping = base.prefix.slice(0, -1)
    const dirtyKey = resolved.persist === undefined ? undefined : `${bookkeeping}#dirty`
    const leaseMs = resolved.restoreTimeoutMs + resolved.timeoutMs
    this.#calls = new CounterCalls(base.transport, {
      expireMs: resolved.expireMs,
      restoring: resolved.restore !== undefined,
      leaseMs,
      dirtyKey,
    })
    this.#restorer = new CounterRestorer(this.#calls, resolved.restore, resolved.restoreTimeoutMs, leaseMs)
    if (resolved.persist !== undefined && dirtyKey !== undefined) {
      const persister = new CounterPersister(base, {
        persist: resolved.persist,
        dirtyKey,
        inFlightKey: `${bookkeeping}#inflight`,
        batchSize: resolved.persistBatchSize,
        leaseMs: resolved.persistTimeoutMs,
      })
      this.#persister = persister
      this.#timer = setInterval(() => void persister.pass(), resolved.persistIntervalMs).unref()
    }
  }

  /**
   * Adds `by` (a safe integer, negative to decrement) to the counter and returns its new value: one
   * round trip for a live counter (the increment, its expiry and its change record in one step). A
   * missing counter is restored first (see `restore`); a counter that holds no integer fails with `E_DECODE`.
   */
  increment(key: K, by = 1): Promise<number> {
    return this.#base.call(() => {
      if (!Number.isSafeInteger(by)) {
        throw new TypeError(`Expected \`by\` to be a safe integer, got ${describe(by)}`)
      }
      return this.#run(this.#address(key), 'incr', by)
    })
  }

  /** The counter's value: one round trip; a missing counter is restored (see `restore`), or 0 without it. */
  get(key: K): Promise<number> {
    return this.#base.call(() => this.#run(this.#address(key), 'get', 0))
  }

  /** The values of `keys`, in order: one round trip for all of them (and the restores of those missing). */
  getMany(keys: Iterable<K>): Promise<number[]> {
    return this.#base.call(() => {
      const addresses = [...keys].map((key) => this.#address(key))
      return Promise.all(addresses.map((address) => this.#run(address, 'get', 0)))
    })
  }

  /**
   * Hands every counter changed since the last hand-over to `persist` now, in batches, and resolves
   * when none is left (or another instance's hand-over is in flight: it hands them over). A failed
   * hand-over is reported on 'error' and retried by the next one. A `TypeError` without `persist`.
   */
  persistNow(): Promise<void> {
    return this.#base.call(() => {
      const persister = this.#persister
      if (persister === undefined)
        throw new TypeError(`FlipCounter \`${this.name}\` has no \`persist\` option`)
      return persister.pass()
    })
  }

  /**
   * Stops the hand-over timer, hands over what changed one last time (waiting at most
   * `closeTimeout`), and closes a client the counter opened. Calls still waiting fail with `E_CLOSED`.
   */
  close(): Promise<void> {
    return this.#base.close(async () => {
      clearInterval(this.#timer)
      const persister = this.#persister
      if (persister !== undefined) await within(persister.pass(), this.#closeTimeoutMs, () => {})
    })
  }

  #address(key: K): CounterAddress<K> {
    const redisKey = this.#base.redisKey(key)
    return { key, redisKey, member: redisKey.slice(this.#base.prefix.length) }
  }

  async #run(address: CounterAddress<K>, mode: 'incr' | 'get', by: number): Promise<number> {
    const token = `${this.#tokenPrefix}:${++this.#callsMade}`
    const first = await this.#calls.step(address, mode, by, token)
    if (first.kind === 'value') return first.value
    return this.#restorer.settle(address, mode, by, token, first)
  }
}
