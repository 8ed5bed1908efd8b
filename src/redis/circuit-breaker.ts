/** The circuit breaker's settings; `false` turns it off. */
export interface BreakerSettings {
  /** Consecutive failed round trips (unreachable or timed out) that mark Redis down. */
  failures: number
  /** How long Redis stays marked down before a round trip probes it again; doubles after a failed probe, up to 30x. */
  cooldownMs: number
}

export type BreakerChange = { status: 'down'; error: Error } | { status: 'up' }

/**
 * Stops sending commands to a Redis that keeps failing: after `failures` consecutive failed round
 * trips it is marked down and calls fail at once, without a command; after the cooldown (or as
 * soon as the client reconnects) the next round trip is a probe, whose success marks it up again.
 */
export class CircuitBreaker {
  readonly #settings: BreakerSettings
  readonly #onChange: (change: BreakerChange) => void
  #failures = 0
  #down = false
  #probeAt = 0
  #cooldownMs: number

  constructor(settings: BreakerSettings, onChange: (change: BreakerChange) => void) {
    this.#settings = settings
    this.#cooldownMs = settings.cooldownMs
    this.#onChange = onChange
  }

  get down(): boolean {
    return this.#down
  }

  /** Whether a round trip may go now; `false` while Redis is marked down and no probe is due. */
  allows(now: number): boolean {
    return !this.#down || now >= this.#probeAt
  }

  /** Milliseconds until the next probe (0 when one may go now). */
  probeIn(now: number): number {
    if (!this.#down) return 0
    return Math.max(0, this.#probeAt - now)
  }

  /** The client reconnected: let the next round trip probe at once. */
  reconnected(): void {
    if (this.#down) this.#probeAt = 0
  }

  succeeded(): void {
    this.#failures = 0
    this.#cooldownMs = this.#settings.cooldownMs
    if (!this.#down) return
    this.#down = false
    this.#onChange({ status: 'up' })
  }

  failed(error: Error, now: number): void {
    this.#failures++
    if (this.#down) {
      // A failed probe: wait longer before the next one.
      this.#cooldownMs = Math.min(this.#cooldownMs * 2, this.#settings.cooldownMs * 30)
      this.#probeAt = now + this.#cooldownMs
      return
    }
    if (this.#failures < this.#settings.failures) return
    this.#down = true
    this.#probeAt = now + this.#cooldownMs
    this.#onChange({ status: 'down', error })
  }
}
