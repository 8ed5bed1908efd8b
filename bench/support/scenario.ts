import type { BenchContext } from './context.js'

/** One benchmark scenario: `npm run bench -- --only <name>`. */
export interface Scenario {
  name: string
  /** One line on what it measures. */
  summary: string
  /**
   * Measures flipcache's in-process path only, so that it also runs without a Redis server (on an
   * ioredis-mock client, `context.inProcess`), leaving out the rows that need Redis.
   */
  inProcess?: boolean
  run(context: BenchContext): Promise<void>
}
