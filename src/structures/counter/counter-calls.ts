import type { TransportView } from '../../redis/transport-view.js'
import { type CounterReply, counterReply } from './counter-reply.js'
import { finishRestore, plainStep, pollRestore, releaseRestore, restoringStep } from './counter-scripts.js'

/** One counter as the scripts address it. */
export interface CounterAddress<K> {
  key: K
  /** `name:` and the encoded key. */
  redisKey: string
  /** The encoded key: the counter's member in the dirty set. */
  member: string
}

/** How the counter scripts are called: the settings every call of one FlipCounter shares. */
export interface CounterCallSettings {
  /** 0 for no expiry. */
  expireMs: number
  /** Whether a missing counter is restored (else it starts from 0). */
  restoring: boolean
  /** How long a restore lease lasts. */
  leaseMs: number
  /** The dirty set, with `persist`. */
  dirtyKey: string | undefined
}

/** The counter scripts of one FlipCounter, each one EVAL that joins the tick's pipeline. */
export class CounterCalls {
  readonly #transport: TransportView
  readonly #settings: CounterCallSettings

  constructor(transport: TransportView, settings: CounterCallSettings) {
    this.#transport = transport
    this.#settings = settings
  }

  #keys(address: CounterAddress<unknown>): string[] {
    const { dirtyKey } = this.#settings
    return dirtyKey === undefined ? [address.redisKey] : [address.redisKey, dirtyKey]
  }

  /** An increment by `by` ('incr') or a read ('get', by 0) of the counter. */
  async step(
    address: CounterAddress<unknown>,
    mode: 'incr' | 'get',
    by: number,
    token: string,
  ): Promise<CounterReply> {
    const { expireMs, restoring, leaseMs } = this.#settings
    const args = [mode, by, expireMs, address.member]
    const reply = restoring
      ? await restoringStep.run(this.#transport, this.#keys(address), [...args, token, leaseMs])
      : await plainStep.run(this.#transport, this.#keys(address), args)
    return counterReply(address.redisKey, reply)
  }

  /** Makes the counter live with `base` plus the increments made meanwhile, if `token` still holds the lease. */
  async finish(address: CounterAddress<unknown>, token: string, base: number): Promise<CounterReply> {
    const args = [token, base, this.#settings.expireMs, address.member]
    return counterReply(address.redisKey, await finishRestore.run(this.#transport, this.#keys(address), args))
  }

  /** A waiting caller's look at the counter (it takes the lease over once it ran out). */
  async poll(address: CounterAddress<unknown>, token: string): Promise<CounterReply> {
    const args = [token, this.#settings.leaseMs]
    return counterReply(address.redisKey, await pollRestore.run(this.#transport, [address.redisKey], args))
  }

  /** Ends `token`'s lease at once, so that another caller restores the counter. */
  async release(address: CounterAddress<unknown>, token: string): Promise<void> {
    await releaseRestore.run(this.#transport, [address.redisKey], [token])
  }
}
