/** The clocks as the process started with them (see `now` for why `Date` is kept). */
const realDate = Date
const realPerformance = globalThis.performance
const realOrigin = realPerformance.timeOrigin

/**
 * Now, in whole epoch milliseconds, on a monotonic clock: the wall-clock time at which the process started
 * (`performance.timeOrigin`) plus the monotonic time since (`performance.now()`). It reads like
 * `Date.now()`, so it stays comparable with the expiries other processes write into entry headers,
 * but a step of the wall clock (NTP, an operator, a VM resumed) moves neither a timeout nor an L1
 * lifetime: every duration flipcache measures (Redis timeouts, L1 lifetimes, freshness, lock waits,
 * breaker cooldowns, loader back-off) is measured with it.
 *
 * It does not follow a wall-clock step made while the process runs, nor (on Linux) time spent
 * suspended: it then differs from `Date.now()`, and absolute expiries shared with other processes
 * (hash fields' expiry, getOrSet's freshness) are off by that much between them.
 */
export function now(): number {
  // A test's fake clock (vitest's or sinon's fake timers) replaces the global `Date` and
  // `performance` together: then this clock follows the fake one. Checking `Date` costs a global
  // load; reading the global `performance` on every call would cost an accessor call on L1 hits.
  // Whole milliseconds, as Date.now() gives: what is stored is rounded to them (entry headers), and
  // a value read back must not look later than the one it was made from.
  if (Date === realDate) return Math.floor(realOrigin + realPerformance.now())
  const { performance } = globalThis
  return Math.floor(performance.timeOrigin + performance.now())
}
