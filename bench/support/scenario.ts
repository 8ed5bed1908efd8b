import type { BenchContext } from './context.js'

/** One benchmark scenario: `npm run bench -- --only <name>`. */
export interface Scenario {
  name: string
  /** One line on what it measures. */
  summary: string
  run(context: BenchContext): Promise<void>
}
