import { combinedPage } from './patterns/combined-page.js'
import { concurrentCounters, sequentialCounters } from './patterns/counters.js'
import { listPushes, listRanges } from './patterns/lists.js'
import type { PatternBench } from './patterns/pattern-bench.js'
import { rankingIncrements, rankingTops } from './patterns/rankings.js'
import { rateLimitBench } from './patterns/rate-limits.js'
import { writeBehindBench } from './patterns/write-behind.js'
import { measure, resultOf, type TaskSpec } from './support/measure.js'
import { measuredCells, measuredColumns, serverCpuNote } from './support/rows.js'
import type { Scenario } from './support/scenario.js'

/** The patterns measured, in the order of docs/benchmarks.md. */
const patternBenches: PatternBench[] = [
  combinedPage,
  sequentialCounters,
  concurrentCounters,
  rateLimitBench,
  writeBehindBench,
  listPushes,
  listRanges,
  rankingIncrements,
  rankingTops,
]

/**
 * The Redis patterns of the reference articles: each article's hand-written version against the
 * flipcache class that does the same work, throughput and Redis commands per operation.
 */
export const patterns: Scenario = {
  name: 'patterns',
  summary:
    "counters, rate limits, write-behind, latest-N lists, rankings: flipcache's classes vs the articles' code",
  async run(context) {
    const redis = await context.client()
    const rows: string[][] = []
    const configs: { row: string; config: string }[] = []
    for (const bench of patternBenches) {
      const built = await bench.setup(context, redis)
      const tasks: TaskSpec[] = [built.article, ...built.ours]
      const results = await measure(tasks, context.timing, context.commands)
      await built.check?.()
      const baseline = resultOf(results, built.article.name)
      for (const task of tasks)
        rows.push([bench.pattern, task.name, ...measuredCells(resultOf(results, task.name), baseline)])
      configs.push(...built.configs)
    }
    context.report({
      id: 'patterns',
      title: "Redis patterns: the articles' code and flipcache's classes",
      intro:
        'Each pattern of the reference articles (counters, rate limits, write-behind, latest-N lists, rankings) ' +
        'as the article writes it with raw ioredis calls, against the flipcache class that does the same work ' +
        "(atomic where the article's version is racy). op = one operation a user asks for (an increment, a hit, " +
        'a push); cmds/op = Redis commands per operation, counted on the server.',
      columns: [{ header: 'pattern' }, { header: 'task' }, ...measuredColumns('vs article')],
      rows,
      notes: [
        "vs article: each row against the article's version of its pattern, measured in the same rounds.",
        serverCpuNote,
      ],
      configs,
    })
  },
}
