import type { Redis } from 'ioredis'
import type { BenchContext } from '../support/context.js'
import type { TaskSpec } from '../support/measure.js'

/**
 * One pattern of the reference articles, as the `patterns` scenario measures it: the article's
 * hand-written version (the baseline of its rows) against flipcache's class doing the same work.
 * Each task's `ops` counts the operations a user asked for (increments, hits, pushes), so that
 * cmds/op compares the Redis commands each side spends on one.
 */
export interface PatternBench {
  /** The pattern, as the table's first column names it: `counters`, `rate limits`. */
  pattern: string
  /** Builds the tasks on `redis` (a client of the run); keys under `context.key(...)`. */
  setup(context: BenchContext, redis: Redis): Promise<PatternTasks>
}

export interface PatternTasks {
  /** The article's version, measured first in each pair. */
  article: TaskSpec
  /** flipcache's rows for the same work. */
  ours: TaskSpec[]
  /** What each row runs, for the report's configuration list (`row` starts the row names it covers). */
  configs: { row: string; config: string }[]
  /** Throws when the work measured did not do what it should (read back after the timing). */
  check?(): Promise<void>
}
