/** The circuit breaker's settings; `false` turns it off. */
export interface BreakerSettings {
  /** Consecutive failed round trips (unreachable or timed out) that mark Redis down. */
  failures: number
  /** How long Redis stays marked down before a round trip probes it again; doubles after a failed probe, up to 30x. */
  cooldownMs: number
}

export type BreakerChange = { status: 'down'; error: Error } | { status: 'up' }

/** What the breaker says of a round trip about to leave: send it, send it as the one probe, or refuse it. */
export type Admission = 'send' | 'probe' | 'refuse'

/**
 * Stops sending commands to a Redis that keeps failing: after `failures` consecutive failed round
 * trips (no reply in time, or no connection) it opens, and calls fail at once, without a command.
 * After the cooldown (or as soon as the client reconnects) it is half-open: exactly one round trip
 * goes, as a probe, while the others still fail at once. A reply to any round trip closes it; only
 * a failed probe opens it again, with the cooldown doubled (up to 30x). A reply from Redis, even an
 * error reply (WRONGTYPE, OOM...), proves the connection alive and never counts as a failure.
 */
export class CircuitBreaker {
  readonly #settings: BreakerSettings
  readonly #onChange: (change: BreakerChange) => void
  #failures = 0
  #down = false
  /** Whether the one probe of a half-open breaker is out. */
  #probing = false
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

  /**
   * Whether a round trip may go now. While open, the first round trip past the cooldown is the
   * probe (`'probe'`: its outcome must be told with `probe: true`); every other is refused.
   */
  admit(now: number): Admission {
    if (!this.#down) return 'send'
    if (this.#probing || now < this.#probeAt) return 'refuse'
    this.#probing = true
    return 'probe'
  }

  /** Milliseconds until the next probe may go (0 when one may go now, or none is needed). */
  probeIn(now: number): number {
    if (!this.#down) return 0
    return Math.max(0, this.#probeAt - now)
  }

  /** The client reconnected: let the next round trip probe at once. */
  reconnected(): void {
    if (this.#down) this.#probeAt = 0
  }

  /** The probe admitted was never sent (its callers all gave up first): the next round trip may probe. */
  probeDropped(): void {
    this.#probing = false
  }

  /** Redis answered a round trip (with replies or error replies): it is up. */
  succeeded(): void {
    this.#failures = 0
    this.#probing = false
    this.#cooldownMs = this.#settings.cooldownMs
    if (!this.#down) return
    this.#down = false
    this.#onChange({ status: 'up' })
  }

  /**
   * A round trip got no reply in time, or no connection. While open, only the probe's failure counts
   * (the cooldown doubles); a round trip sent before the breaker opened may still fail late.
   */
  failed(error: Error, now: number, probe = false): void {
    if (this.#down) {
      if (!probe) return
      this.#probing = false
      this.#cooldownMs = Math.min(this.#cooldownMs * 2, this.#settings.cooldownMs * 30)
      this.#probeAt = now + this.#cooldownMs
      return
    }
    this.#failures++
    if (this.#failures < this.#settings.failures) return
    this.#down = true
    this.#probeAt = now + this.#cooldownMs
    this.#onChange({ status: 'down', error })
  }
}
