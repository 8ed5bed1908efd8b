import { now } from '../../clock.js'
import { describe, RestoreError } from '../../errors.js'
import { within } from '../../within.js'
import type { CounterAddress, CounterCalls } from './counter-calls.js'
import type { RestoreCounter } from './counter-options.js'
import type { CounterReply } from './counter-reply.js'
import { sumAt } from './counter-reply.js'

/** Longest pause between two looks at a counter another process restores. */
const longestPauseMs = 50

/**
 * Takes an increment or read from its first script reply to the counter's value: at once for a
 * live counter; for a missing one, by restoring it (this caller got the lease) or by waiting for the
 * caller that did. Either way the caller's value is the restored base plus the increments recorded
 * up to its own (`d` when it was recorded), the value it would have had with the counter present.
 * Restores in flight in this process are awaited rather than polled.
 */
export class CounterRestorer<K> {
  readonly #calls: CounterCalls
  readonly #restore: RestoreCounter<K> | undefined
  readonly #restoreTimeoutMs: number
  /** How long a caller waits for a restore before it fails with E_RESTORE. */
  readonly #patienceMs: number
  /** The restores this instance runs, by Redis key. */
  readonly #running = new Map<string, Promise<number>>()

  constructor(
    calls: CounterCalls,
    restore: RestoreCounter<K> | undefined,
    restoreTimeoutMs: number,
    leaseMs: number,
  ) {
    this.#calls = calls
    this.#restore = restore
    this.#restoreTimeoutMs = restoreTimeoutMs
    this.#patienceMs = 2 * leaseMs + restoreTimeoutMs
  }

  /** The counter's value after the call whose script replied `first`. */
  async settle(
    address: CounterAddress<K>,
    mode: 'incr' | 'get',
    by: number,
    token: string,
    first: CounterReply,
  ): Promise<number> {
    const deadline = now() + this.#patienceMs
    let reply = first
    // How far the increments had got with this call's own, and the epoch they were recorded in.
    let delta = 0
    let epoch: string | undefined
    let pauseMs = 2
    for (;;) {
      if ((reply.kind === 'wait' || reply.kind === 'restore') && reply.delta !== undefined) {
        delta = reply.delta
        epoch = reply.epoch
      } else if (
        (reply.kind === 'wait' || reply.kind === 'restore' || reply.kind === 'done') &&
        reply.epoch !== epoch
      ) {
        // A flush took the counter, this call's increment with it, and another call started over.
        if (reply.kind === 'restore') await this.#calls.release(address, token)
        reply = await this.#calls.step(address, mode, by, token)
        continue
      }
      switch (reply.kind) {
        case 'value':
          return reply.value
        case 'done':
          return reply.base === undefined ? reply.value : sumAt(address.redisKey, reply.base, delta)
        case 'gone':
          // A flush took the recorded increment with the counter: record it again.
          reply = await this.#calls.step(address, mode, by, token)
          continue
        case 'restore': {
          const base = await this.#restoreOnce(address, token)
          reply = await this.#calls.finish(address, token, base)
          if (reply.kind === 'value') return sumAt(address.redisKey, base, delta)
          break
        }
        case 'wait':
        case 'lost':
          break
      }
      if (now() > deadline) {
        throw new RestoreError(address.redisKey, `it was still being restored after ${this.#patienceMs} ms`)
      }
      const local = this.#running.get(address.redisKey)
      if (local === undefined) {
        await new Promise((resolve) => setTimeout(resolve, pauseMs))
        pauseMs = Math.min(2 * pauseMs, longestPauseMs)
      } else {
        await local.catch(() => {})
      }
      reply = await this.#calls.poll(address, token)
    }
  }

  /** Calls `restore` for the counter (this caller holds its lease); on failure the lease is given up. */
  #restoreOnce(address: CounterAddress<K>, token: string): Promise<number> {
    const running = this.#call(address).catch(async (error: unknown) => {
      await this.#calls.release(address, token).catch(() => {})
      throw error
    })
    this.#running.set(address.redisKey, running)
    const forget = (): void => {
      if (this.#running.get(address.redisKey) === running) this.#running.delete(address.redisKey)
    }
    running.then(forget, forget)
    return running
  }

  async #call(address: CounterAddress<K>): Promise<number> {
    const restore = this.#restore
    if (restore === undefined) throw new RestoreError(address.redisKey, 'no `restore` function is set')
    let base: unknown
    try {
      const work = (async () => restore(address.key))()
      base = await within(work, this.#restoreTimeoutMs, () => {
        throw new RestoreError(
          address.redisKey,
          `\`restore\` ran past restoreTimeout (${this.#restoreTimeoutMs} ms)`,
        )
      })
    } catch (error) {
      if (error instanceof RestoreError) throw error
      const reason = error instanceof Error ? error.message : String(error)
      throw new RestoreError(address.redisKey, `\`restore\` threw: ${reason}`, { cause: error })
    }
    if (!Number.isSafeInteger(base)) {
      throw new RestoreError(address.redisKey, `\`restore\` returned ${describe(base)}, not a safe integer`)
    }
    return base as number
  }
}
