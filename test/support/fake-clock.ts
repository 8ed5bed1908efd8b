import { vi } from 'vitest'

/**
 * Fakes the clocks only (`Date`, and `performance`, which flipcache's monotonic clock reads), frozen
 * until `advance` moves them: sockets and timers keep real time, so Redis keeps working while the
 * cache's own notion of time (freshness, L1 expiry, back-off) is the test's. Undo with
 * `vi.useRealTimers()` (in an afterEach). Move it only while no Redis call is on its way: the calls'
 * deadlines are measured with the same clock.
 */
export function fakeClock(): { advance(ms: number): void } {
  vi.useFakeTimers({ toFake: ['Date', 'performance'] })
  return { advance: (ms) => vi.advanceTimersByTime(ms) }
}

/** A promise the test settles when it chooses: for a loader that must still be running at some point. */
export function gate<T = void>(): { opened: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void
  const opened = new Promise<T>((resolve) => {
    open = resolve
  })
  return { opened, open }
}
