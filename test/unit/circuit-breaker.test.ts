import { describe, expect, it } from 'vitest'
import { type BreakerChange, type BreakerSettings, CircuitBreaker } from '../../src/redis/circuit-breaker.js'

const settings: BreakerSettings = { failures: 3, cooldownMs: 1000 }

/** A breaker and the changes it reported. */
function breaker(given: BreakerSettings = settings): { breaker: CircuitBreaker; changes: BreakerChange[] } {
  const changes: BreakerChange[] = []
  return { breaker: new CircuitBreaker(given, (change) => changes.push(change)), changes }
}

/** Fails `times` round trips at `now`. */
function failTimes(target: CircuitBreaker, times: number, now: number, error = new Error('boom')): void {
  for (let i = 0; i < times; i++) target.failed(error, now)
}

/** Opens `target` at `now` (with `settings.failures` failures). */
function open(target: CircuitBreaker, now: number): void {
  failTimes(target, settings.failures, now)
}

describe('CircuitBreaker', () => {
  it('failed() opens the breaker after `failures` consecutive failures, not before', () => {
    const { breaker: subject, changes } = breaker()
    failTimes(subject, settings.failures - 1, 0)
    expect(subject.down).toBe(false)
    expect(subject.admit(0)).toBe('send')
    expect(changes).toEqual([])

    const error = new Error('third')
    subject.failed(error, 0)
    expect(subject.down).toBe(true)
    expect(changes).toEqual([{ status: 'down', error }])
  })

  it('succeeded() resets the count of consecutive failures', () => {
    const { breaker: subject, changes } = breaker()
    failTimes(subject, settings.failures - 1, 0)
    subject.succeeded()
    failTimes(subject, settings.failures - 1, 0)
    expect(subject.down).toBe(false)
    expect(changes).toEqual([])
  })

  it('admit() refuses while open, then lets exactly one probe go once the cooldown has passed', () => {
    const { breaker: subject } = breaker()
    open(subject, 5000)
    expect(subject.admit(5000)).toBe('refuse')
    expect(subject.admit(5999)).toBe('refuse')
    expect(subject.admit(6000)).toBe('probe')
    // Half-open: the probe is out, every other round trip is refused until it is answered.
    expect(subject.admit(6000)).toBe('refuse')
    expect(subject.admit(60_000)).toBe('refuse')
    subject.succeeded()
    expect(subject.admit(60_000)).toBe('send')
  })

  it('admit() sends at any time while the breaker is closed', () => {
    const { breaker: subject } = breaker()
    expect(subject.admit(0)).toBe('send')
    expect(subject.admit(Number.MAX_SAFE_INTEGER)).toBe('send')
  })

  it('failed() of a round trip sent before the breaker opened does not push the probe back', () => {
    const { breaker: subject } = breaker()
    open(subject, 0)
    // Late failures of round trips that were out when it opened: not probes.
    failTimes(subject, 50, 900)
    expect(subject.probeIn(900)).toBe(100)
    expect(subject.admit(1000)).toBe('probe')
  })

  it('probeDropped() lets the next round trip probe when the admitted probe was never sent', () => {
    const { breaker: subject } = breaker()
    open(subject, 0)
    expect(subject.admit(1000)).toBe('probe')
    subject.probeDropped()
    expect(subject.admit(1000)).toBe('probe')
  })

  it('probeIn() counts down to the probe and is 0 once it is due', () => {
    const { breaker: subject } = breaker()
    expect(subject.probeIn(5000)).toBe(0)
    open(subject, 5000)
    expect(subject.probeIn(5000)).toBe(1000)
    expect(subject.probeIn(5600)).toBe(400)
    expect(subject.probeIn(6000)).toBe(0)
    expect(subject.probeIn(9000)).toBe(0)
  })

  it('failed() on a probe doubles the cooldown, up to 30 times the setting', () => {
    const { breaker: subject } = breaker()
    let now = 0
    open(subject, now)
    const cooldowns: number[] = []
    for (let probe = 0; probe < 7; probe++) {
      now += subject.probeIn(now)
      expect(subject.admit(now)).toBe('probe')
      subject.failed(new Error('probe failed'), now, true)
      expect(subject.admit(now)).toBe('refuse')
      cooldowns.push(subject.probeIn(now))
    }
    expect(cooldowns).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
  })

  it('failed() reports "down" once, however many failures follow while it is open', () => {
    const { breaker: subject, changes } = breaker()
    open(subject, 0)
    failTimes(subject, 10, 100_000)
    expect(changes.map((change) => change.status)).toEqual(['down'])
  })

  it('succeeded() closes an open breaker and reports "up" once', () => {
    const { breaker: subject, changes } = breaker()
    open(subject, 0)
    subject.succeeded()
    subject.succeeded()
    expect(subject.down).toBe(false)
    expect(subject.admit(0)).toBe('send')
    expect(changes.map((change) => change.status)).toEqual(['down', 'up'])
  })

  it('probeIn() is 0 once succeeded() closed the breaker', () => {
    const { breaker: subject } = breaker({ failures: 1, cooldownMs: 1000 })
    subject.failed(new Error('once'), 0)
    expect(subject.probeIn(0)).toBe(1000)
    subject.succeeded()
    expect(subject.admit(0)).toBe('send')
    expect(subject.probeIn(0)).toBe(0)
  })

  it('succeeded() on a closed breaker reports nothing', () => {
    const { breaker: subject, changes } = breaker()
    subject.succeeded()
    expect(changes).toEqual([])
  })

  it('succeeded() restores the configured cooldown after doubled ones', () => {
    const { breaker: subject } = breaker()
    open(subject, 0)
    expect(subject.admit(1000)).toBe('probe')
    subject.failed(new Error('probe failed'), 1000, true)
    expect(subject.probeIn(1000)).toBe(2000)
    subject.succeeded()
    open(subject, 10_000)
    expect(subject.probeIn(10_000)).toBe(1000)
  })

  it('succeeded() lets the breaker open again only after `failures` new failures', () => {
    const { breaker: subject, changes } = breaker()
    open(subject, 0)
    subject.succeeded()
    failTimes(subject, settings.failures - 1, 0)
    expect(subject.down).toBe(false)
    subject.failed(new Error('again'), 0)
    expect(subject.down).toBe(true)
    expect(changes.map((change) => change.status)).toEqual(['down', 'up', 'down'])
  })

  it('reconnected() lets the next round trip probe at once', () => {
    const { breaker: subject } = breaker()
    open(subject, 0)
    expect(subject.admit(10)).toBe('refuse')
    subject.reconnected()
    expect(subject.probeIn(10)).toBe(0)
    expect(subject.admit(10)).toBe('probe')
    expect(subject.down).toBe(true)
  })

  it('reconnected() followed by a failed probe waits the doubled cooldown', () => {
    const { breaker: subject } = breaker()
    open(subject, 0)
    subject.reconnected()
    expect(subject.admit(10)).toBe('probe')
    subject.failed(new Error('probe failed'), 10, true)
    expect(subject.admit(10)).toBe('refuse')
    expect(subject.probeIn(10)).toBe(2000)
  })

  it('reconnected() on a closed breaker changes nothing', () => {
    const { breaker: subject, changes } = breaker()
    subject.reconnected()
    failTimes(subject, settings.failures, 0)
    expect(subject.probeIn(0)).toBe(1000)
    expect(changes.map((change) => change.status)).toEqual(['down'])
  })

  it('failed() with `failures: 1` opens on the first failure', () => {
    const { breaker: subject, changes } = breaker({ failures: 1, cooldownMs: 50 })
    subject.failed(new Error('once'), 0)
    expect(subject.down).toBe(true)
    expect(subject.probeIn(0)).toBe(50)
    expect(changes).toHaveLength(1)
  })
})
