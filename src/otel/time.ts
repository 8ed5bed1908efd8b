import type { HrTime } from '@opentelemetry/api'

/**
 * A `performance.now()` reading as OpenTelemetry's `HrTime` (seconds and nanoseconds since the
 * epoch). Spans are started after the fact (a span is only made once the operation is known to have
 * left L1), so both ends of each span are given explicitly, from the same clock.
 */
export function toHrTime(performanceMs: number): HrTime {
  const originSeconds = Math.floor(performance.timeOrigin / 1000)
  const ms = performance.timeOrigin - originSeconds * 1000 + performanceMs
  const seconds = Math.floor(ms / 1000)
  const nanos = Math.round((ms - seconds * 1000) * 1e6)
  return nanos >= 1e9 ? [originSeconds + seconds + 1, nanos - 1e9] : [originSeconds + seconds, nanos]
}
