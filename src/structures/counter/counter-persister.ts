import { randomBytes } from 'node:crypto'
import { DecodeError, FlipCacheError, PersistError } from '../../errors.js'
import type { TransportView } from '../../redis/transport-view.js'
import type { StructureBase } from '../structure-base.js'
import type { PersistCounters } from './counter-options.js'
import { integerAt } from './counter-reply.js'
import { acknowledgeHandOver, claimHandOver, readCounter, returnHandOver } from './persist-scripts.js'

/** The persist settings of one FlipCounter. */
export interface PersisterSettings<K> {
  persist: PersistCounters<K>
  dirtyKey: string
  inFlightKey: string
  batchSize: number
  leaseMs: number
}

/** How one hand-over ended: handed over, nothing to hand over, or left for later (busy elsewhere, failed). */
type HandOver = 'handed' | 'empty' | 'later'

/**
 * Hands the changed counters of one FlipCounter to its `persist` function, one batch at a time:
 * claim the batch (dirty members moved to the in-flight hash, atomically), read the counters' latest
 * values, call `persist`, and only once it resolves forget the batch. A process that dies between
 * the claim and the acknowledgement leaves the batch in flight; once its lease runs out the next
 * claim (of any instance) takes it over whole. A rejected `persist` puts its members back.
 */
export class CounterPersister<K> {
  readonly #base: StructureBase<K>
  readonly #settings: PersisterSettings<K>
  readonly #tokenPrefix = randomBytes(6).toString('hex')
  #handOvers = 0
  /** The pass under way, so that two never run at once in one instance. */
  #pass: Promise<void> | undefined

  constructor(base: StructureBase<K>, settings: PersisterSettings<K>) {
    this.#base = base
    this.#settings = settings
  }

  get #transport(): TransportView {
    return this.#base.transport
  }

  /**
   * Hands over batches until nothing changed is left, another instance's hand-over is in flight,
   * or one fails (reported on 'error', retried by the next pass). Joins the pass under way, if any.
   */
  pass(): Promise<void> {
    this.#pass ??= this.#run().finally(() => {
      this.#pass = undefined
    })
    return this.#pass
  }

  async #run(): Promise<void> {
    try {
      while ((await this.#handOver()) === 'handed') {}
    } catch (error) {
      // Redis errors and timeouts come coded; anything else is wrapped so that 'error' stays typed.
      this.#base.report(
        error instanceof FlipCacheError ? error : new PersistError(this.#base.name, 0, { cause: error }),
        { operation: 'persist' },
      )
    }
  }

  async #handOver(): Promise<HandOver> {
    const { dirtyKey, inFlightKey, batchSize, leaseMs } = this.#settings
    const token = `${this.#tokenPrefix}:${++this.#handOvers}`
    const claimed = await claimHandOver.run<string[]>(
      this.#transport,
      [dirtyKey, inFlightKey],
      [token, batchSize, leaseMs],
    )
    const [state, ...members] = claimed
    if (state === 'empty') return 'empty'
    if (state !== 'batch') return 'later'
    const changes = await this.#latestValues(members)
    if (changes.length > 0) {
      try {
        await this.#settings.persist(changes)
      } catch (error) {
        this.#base.report(new PersistError(this.#base.name, changes.length, { cause: error }), {
          operation: 'persist',
          keyCount: changes.length,
        })
        await returnHandOver.run(this.#transport, [dirtyKey, inFlightKey], [token])
        return 'later'
      }
    }
    await acknowledgeHandOver.run(this.#transport, [inFlightKey], [token])
    return 'handed'
  }

  /**
   * The `[key, value]` pairs of `members`, read after the claim (so at least as new as the changes
   * that made them dirty). A counter that vanished since, or is being restored (its restore marks it
   * dirty again), is left out; one whose key or value does not decode is reported and left out.
   */
  async #latestValues(members: string[]): Promise<[K, number][]> {
    const { prefix } = this.#base
    const values = await Promise.all(
      members.map((member) =>
        readCounter.run<[string, string | null]>(this.#transport, [prefix + member], []),
      ),
    )
    const changes: [K, number][] = []
    members.forEach((member, index) => {
      const redisKey = prefix + member
      const [state, stored] = values[index] ?? []
      if (state === 'value' && (stored === null || stored === undefined)) return
      const key = this.#base.keyOf(redisKey)
      try {
        if (key === undefined) throw new DecodeError(redisKey, 'a counter key')
        if (state !== 'value') throw new DecodeError(redisKey, `a counter from a ${stored} key`)
        changes.push([key, integerAt(redisKey, stored)])
      } catch (error) {
        this.#base.report(error as DecodeError, { operation: 'persist' })
      }
    })
    return changes
  }
}
