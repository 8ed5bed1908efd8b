import { monitorEventLoopDelay } from 'node:perf_hooks'

/** A watch over the event loop, started by `watchLoopBlocks()`. */
export interface LoopBlockWatch {
  /** Stops watching (again is harmless) and returns the longest the loop was held, in ms. */
  stop(): number
}

/**
 * Watches how long the event loop is held from now on: the longest gap between the turns of a 1 ms
 * timer, or the loop-delay histogram's maximum, whichever is longer. Shared by the hostile-values
 * test and bench/probes/hostile-values.ts.
 */
export function watchLoopBlocks(): LoopBlockWatch {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  let longestGap = 0
  let last = performance.now()
  const ticker = setInterval(() => {
    const now = performance.now()
    longestGap = Math.max(longestGap, now - last)
    last = now
  }, 1)
  histogram.enable()
  let blockedMs: number | undefined
  return {
    stop() {
      if (blockedMs === undefined) {
        histogram.disable()
        clearInterval(ticker)
        blockedMs = Math.max(longestGap, histogram.max / 1e6)
      }
      return blockedMs
    },
  }
}
