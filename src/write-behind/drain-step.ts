import type { ReportContext } from '../error-reporter.js'
import { DeadLetterError, type FlipCacheError } from '../errors.js'
import { type ChangeDecoders, type PreparedBatch, prepareBatch, type WriteBehindChange } from './changes.js'
import type { WriteQueue } from './queue.js'

/** The user's `flush`, as the drainer calls it. */
export type FlushChanges<K, V> = (
  changes: WriteBehindChange<K, V>[],
  info: { attempt: number },
) => Promise<void> | void

/** What the drainer does with the queue (a `WriteQueue`; a fake in unit tests). */
export type DrainQueue = Pick<
  WriteQueue,
  'keys' | 'take' | 'renew' | 'release' | 'settle' | 'deadLetter' | 'length'
>

/** What a drain step needs: the queue, the user's flush, and the resolved settings. */
export interface DrainSettings<K, V> {
  queue: DrainQueue
  /** This instance's consumer name in the group (and the lease's value). */
  consumer: string
  flush: FlushChanges<K, V>
  decoders: ChangeDecoders<K, V>
  batchSize: number
  claimAfterMs: number
  maxAttempts: number
  retryDelayMs: number
  report: (error: FlipCacheError, context?: ReportContext) => void
  now: () => number
}

/** What one step did: flushed a full batch (more may wait), found the queue idle, or could not drain now. */
export type StepOutcome = 'busy' | 'idle' | 'not-holder' | 'waiting' | 'backoff'

/** Longest wait between two attempts of a batch. */
const maxRetryDelayMs = 60_000

/** A batch whose flush failed, kept (with the lease) until its next attempt. */
interface HeldBatch<K, V> {
  prepared: PreparedBatch<K, V>
  attempts: number
  dueAt: number
}

/**
 * One drain step at a time: while it holds the lease, it takes a batch (a lost drainer's entries
 * first), hands its latest change per key to `flush`, and acknowledges the entries only once
 * `flush` resolved. A failed batch is kept and retried with doubling back-off, the lease renewed;
 * after `maxAttempts` it goes to the dead letters, reported as `E_DEAD_LETTER`.
 */
export class DrainStep<K, V> {
  readonly #settings: DrainSettings<K, V>
  #held: HeldBatch<K, V> | undefined

  constructor(settings: DrainSettings<K, V>) {
    this.#settings = settings
  }

  /** The lease lasts as long as a lost drainer's entries wait to be claimed. */
  get leaseMs(): number {
    return this.#settings.claimAfterMs
  }

  /** A failed batch waiting for its next attempt is tried at the next step (flushNow, close). */
  hurry(): void {
    if (this.#held !== undefined) this.#held.dueAt = 0
  }

  /** When the batch held back is due, or `undefined` without one. */
  get dueAt(): number | undefined {
    return this.#held?.dueAt
  }

  async run(): Promise<StepOutcome> {
    const { queue, consumer, batchSize, claimAfterMs, now } = this.#settings
    const held = this.#held
    if (held !== undefined) {
      // The lease is kept through the back-off: newer entries wait behind the batch held.
      if (!(await queue.renew(consumer, this.leaseMs))) {
        // Another instance holds the lease: it claims these entries once they are idle long enough.
        this.#held = undefined
        return 'not-holder'
      }
      if (now() < held.dueAt) return 'backoff'
      await this.#attempt(held)
      return 'busy'
    }
    const taken = await queue.take(consumer, this.leaseMs, claimAfterMs, batchSize)
    if (taken.kind !== 'batch') return taken.kind
    const { entries } = taken
    if (entries.length === 0) return 'idle'
    const prepared = prepareBatch(entries, this.#settings.decoders)
    const earlier = Math.max(...entries.map((entry) => entry.deliveries)) - 1
    if (prepared.undecodable !== undefined) {
      const { ids, keys, error } = prepared.undecodable
      await queue.deadLetter(ids, `undecodable: ${messageOf(error)}`)
      this.#settings.report(new DeadLetterError(queue.keys.dead, keys, earlier + 1, { cause: error }), {
        operation: 'writeBehind',
        keyCount: keys.length,
      })
    }
    const batch: HeldBatch<K, V> = { prepared, attempts: earlier, dueAt: 0 }
    this.#held = batch
    await this.#attempt(batch)
    return entries.length >= batchSize ? 'busy' : 'idle'
  }

  async #attempt(batch: HeldBatch<K, V>): Promise<void> {
    const { queue, consumer, flush, maxAttempts, retryDelayMs, now } = this.#settings
    const { changes, ids, keys } = batch.prepared
    batch.attempts++
    if (changes.length > 0) {
      // A flush longer than the lease keeps it: no other instance takes these entries meanwhile.
      const renewing = setInterval(() => {
        queue.renew(consumer, this.leaseMs).catch(() => {})
      }, this.leaseMs / 3)
      renewing.unref()
      try {
        await flush(changes, { attempt: batch.attempts })
      } catch (error) {
        if (batch.attempts < maxAttempts) {
          batch.dueAt = now() + Math.min(retryDelayMs * 2 ** (batch.attempts - 1), maxRetryDelayMs)
          return
        }
        this.#held = undefined
        await queue.deadLetter(ids, `flush failed ${batch.attempts} times: ${messageOf(error)}`)
        this.#settings.report(new DeadLetterError(queue.keys.dead, keys, batch.attempts, { cause: error }), {
          operation: 'writeBehind',
          keyCount: keys.length,
        })
        return
      } finally {
        clearInterval(renewing)
      }
    }
    this.#held = undefined
    // Should this fail, the entries stay pending: claimed again after claimAfter, and flushed again.
    await queue.settle(ids)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
