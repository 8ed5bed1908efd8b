import { startRedisServer } from '../test/support/redis-server.js'
import { batchLoad } from './batch-load.js'
import { cluster } from './cluster.js'
import { hitRatioScenario } from './hit-ratio.js'
import { invalidation } from './invalidation.js'
import { l1 } from './l1.js'
import { memory } from './memory.js'
import { otel } from './otel.js'
import { patterns } from './patterns.js'
import { published } from './published.js'
import { redisHit } from './redis-hit.js'
import { libraryVersions, machineInfo } from './report/machine.js'
import { writeBenchmarksPage } from './report/page.js'
import { roundtrips } from './roundtrips.js'
import { stampede } from './stampede.js'
import { parseBenchArgs, usage } from './support/args.js'
import { removeKeysUnder } from './support/cleanup.js'
import { BenchContext } from './support/context.js'
import { redactUrl } from './support/format.js'
import { fullComparisonHint, noRedisLabel, redisSource, selectScenarios } from './support/no-redis.js'
import { progress } from './support/progress.js'
import { serverVersion } from './support/redis-info.js'
import type { Scenario } from './support/scenario.js'
import { printTable } from './support/table.js'
import { tags } from './tags.js'
import { writes } from './writes.js'

// In the order of the report: the cheapest path first.
const scenarios: Scenario[] = [
  l1,
  hitRatioScenario,
  redisHit,
  writes,
  stampede,
  batchLoad,
  invalidation,
  tags,
  memory,
  otel,
  published,
  roundtrips,
  patterns,
  cluster,
]

async function main(): Promise<number> {
  let args: ReturnType<typeof parseBenchArgs>
  try {
    args = parseBenchArgs(
      process.argv.slice(2),
      scenarios.map((scenario) => scenario.name),
    )
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`)
    return 2
  }
  if (args.help) {
    console.log(
      `${usage}\n\nScenarios:\n${scenarios.map((s) => `  ${s.name.padEnd(12)} ${s.summary}`).join('\n')}`,
    )
    return 0
  }
  const source = redisSource(process.env)
  const { run: selected, skipped } = selectScenarios(scenarios, args.only, source.kind !== 'none')
  const startedAt = performance.now()
  if (source.kind === 'none') {
    console.log(
      `No redis-server on the PATH and no REDIS_URL: ${noRedisLabel}, on an in-memory ioredis-mock client.`,
    )
    if (skipped.length > 0)
      console.log(`Skipped, as they measure Redis: ${skipped.map((s) => s.name).join(', ')}`)
    if (selected.length === 0) {
      console.log(`\n${fullComparisonHint(skipped.map((s) => s.name))}`)
      return 1
    }
  }

  let server: Awaited<ReturnType<typeof startRedisServer>> | undefined
  if (source.kind === 'server') {
    try {
      server = await startRedisServer()
    } catch (error) {
      console.error(`Cannot start redis-server for the benchmark: ${(error as Error).message}`)
      return 1
    }
  }
  const url = server?.url ?? (source.kind === 'url' ? source.url : '')
  const inProcess = source.kind === 'none'
  const context = new BenchContext(url, args.quick, inProcess, server !== undefined)
  let failed = false
  try {
    const admin = await context.client()
    const version = inProcess ? 'none' : await serverVersion(admin)
    console.log(
      [
        `flipcache benchmark${args.quick ? ' (--quick)' : ''}${inProcess ? ` [${noRedisLabel}]` : ''}: ${selected.map((s) => s.name).join(', ')}`,
        `Node ${process.version} on ${process.platform}/${process.arch}`,
        inProcess
          ? 'Redis: none (ioredis-mock, in memory, in this process)'
          : `Redis ${version} at ${redactUrl(url)} (${server === undefined ? 'REDIS_URL' : 'private redis-server started for this run'})`,
        `Keys under ${context.prefix}:* (removed at the end)`,
      ].join('\n'),
    )
    try {
      for (const [index, scenario] of selected.entries()) {
        progress.scenario(index + 1, selected.length, scenario.name)
        const scenarioStart = performance.now()
        await scenario.run(context)
        progress.clear()
        console.log(`  (${scenario.name}: ${((performance.now() - scenarioStart) / 1000).toFixed(1)} s)`)
      }
      progress.clear()
      printTargets(context)
      if (inProcess) console.log(`\n${fullComparisonHint(skipped.map((s) => s.name))}`)
      else writeReport(context, args, version, selected, performance.now() - startedAt)
    } finally {
      progress.clear()
      const removed = await removeKeysUnder(admin, context.prefix)
      console.log(`\nRemoved ${formatKeys(removed)} under ${context.prefix}:*`)
    }
  } catch (error) {
    failed = true
    console.error('\nBenchmark failed:', error)
  } finally {
    await context.close()
    await server?.stop()
  }
  console.log(`Done in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`)
  return failed ? 1 : 0
}

/** The summary: every target of the run, met or missed, with what was measured. */
function printTargets(context: BenchContext): void {
  const targets = context.sections.flatMap((section) => section.targets ?? [])
  if (targets.length === 0) return
  printTable(
    `Summary: ${targets.filter((target) => target.pass).length} of ${targets.length} targets met${context.quick ? ' (--quick: indicative only)' : ''}${context.inProcess ? ` [${noRedisLabel}]` : ''}`,
    [{ header: '' }, { header: 'target' }, { header: 'measured', align: 'right' }, { header: 'goal' }],
    targets.map((target) => [target.pass ? 'PASS' : 'MISS', target.what, target.measured, target.target]),
  )
}

/**
 * docs/benchmarks.md and its charts: written by a full run of every scenario only, so that the page
 * never mixes runs or shows --quick numbers.
 */
function writeReport(
  context: BenchContext,
  args: { quick: boolean; only: string[] | undefined },
  redisVersion: string,
  selected: Scenario[],
  elapsedMs: number,
): void {
  if (args.quick || selected.length !== scenarios.length) {
    console.log('\ndocs/benchmarks.md left alone: only a full run (no --quick, no --only) rewrites it.')
    return
  }
  const { page, charts } = writeBenchmarksPage(
    {
      date: new Date().toISOString().slice(0, 10),
      quick: false,
      durationS: Math.round(elapsedMs / 1000),
      command: 'npm run bench',
      rounds: `${context.timing.rounds} rounds per timed table, the order of the rows rotated each round; medians`,
      machine: machineInfo(redisVersion),
      versions: libraryVersions([
        'flipcache-redis',
        'ioredis',
        'bentocache',
        'cacheable',
        'cache-manager',
        'keyv',
        '@keyv/redis',
        'quick-lru',
        'tinybench',
      ]),
    },
    context.sections,
  )
  console.log(`\nWrote ${page} and ${charts.length} charts`)
}

function formatKeys(count: number): string {
  return count === 1 ? '1 key' : `${count} keys`
}

process.exitCode = await main()
