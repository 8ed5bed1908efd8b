import { RedisUnavailableError } from '../errors.js'
import { within } from '../within.js'
import { type DrainSettings, DrainStep, type StepOutcome } from './drain-step.js'

/** How often flushNow() looks again while another instance drains, or a lost drainer's entries wait. */
const recheckMs = 50

/**
 * Runs drain steps one at a time: on an interval (never a blocking read: the client is shared),
 * at once again after a full batch, and on flushNow(); close() drains what it can within its
 * timeout and gives the lease up.
 */
export class Drainer<K, V> {
  readonly #step: DrainStep<K, V>
  readonly #settings: DrainSettings<K, V>
  readonly #pollMs: number
  /** Whether this instance drains (`drain: true`), or only waits for others in flushNow(). */
  readonly #active: boolean
  /** The step running now (never two at once: a step that hangs in `flush` is waited for, not queued behind). */
  #running: Promise<StepOutcome> | undefined
  #timer: NodeJS.Timeout | undefined
  #stopped = false
  /** A step failed (Redis down) and was reported; the next failures are not, until a step succeeds. */
  #failing = false

  constructor(settings: DrainSettings<K, V>, pollMs: number, active: boolean) {
    this.#settings = settings
    this.#step = new DrainStep(settings)
    this.#pollMs = pollMs
    this.#active = active
    if (active) this.#schedule(0)
  }

  /**
   * Drains until the queue is empty or `timeoutMs` passed (a failed batch is retried at once);
   * resolves to how many entries the queue still holds (0: drained), or rejects with `E_REDIS`
   * when Redis cannot say.
   */
  async flushNow(timeoutMs: number): Promise<number> {
    const { now } = this.#settings
    const deadline = now() + timeoutMs
    this.#step.hurry()
    for (;;) {
      const outcome = await this.#stepWithin(deadline)
      const left = await this.#settings.queue.length()
      if (left === 0 || now() >= deadline) return left
      if (outcome !== 'busy' && outcome !== 'idle') {
        await new Promise((resolve) => setTimeout(resolve, Math.min(recheckMs, deadline - now())))
      }
    }
  }

  /**
   * Stops the interval; while this instance holds the lease, drains within `timeoutMs` (the other
   * instances drain the rest); gives the lease up. Never rejects.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    if (!this.#active) return
    const deadline = this.#settings.now() + timeoutMs
    this.#step.hurry()
    while ((await this.#stepWithin(deadline)) === 'busy');
    await this.#settings.queue.release(this.#settings.consumer).catch(() => {})
  }

  /** The next step's outcome, or 'waiting' when it is not done by `deadline` (a `flush` that hangs). */
  #stepWithin(deadline: number): Promise<StepOutcome> {
    const left = deadline - this.#settings.now()
    if (left <= 0) return Promise.resolve('waiting')
    return within(this.#next(), left, () => 'waiting' as const)
  }

  /** The step running now, or a new one; never rejects (a failure is reported once per outage). */
  #next(): Promise<StepOutcome> {
    if (!this.#active) return Promise.resolve('not-holder')
    if (this.#running !== undefined) return this.#running
    const running = this.#step.run().then(
      (outcome) => {
        this.#failing = false
        return outcome
      },
      (error: unknown) => {
        if (!this.#failing) {
          this.#failing = true
          this.#settings.report(
            new RedisUnavailableError(`A write-behind drain step failed: ${(error as Error).message}`, {
              cause: error,
            }),
            { operation: 'writeBehind' },
          )
        }
        return 'waiting' as const
      },
    )
    this.#running = running
    running.then(() => {
      if (this.#running === running) this.#running = undefined
    })
    return running
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#next().then((outcome) => this.#schedule(this.#delayAfter(outcome)))
    }, delayMs)
    this.#timer.unref()
  }

  #delayAfter(outcome: StepOutcome): number {
    if (outcome === 'busy') return 0
    const dueAt = this.#step.dueAt
    if (dueAt === undefined) return this.#pollMs
    return Math.max(0, Math.min(this.#pollMs, dueAt - this.#settings.now()))
  }
}
