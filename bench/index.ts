import { startRedisServer } from '../test/support/redis-server.js'
import { cluster } from './cluster.js'
import { concurrent } from './concurrent.js'
import { getOrSet } from './get-or-set.js'
import { getmany } from './getmany.js'
import { l1 } from './l1.js'
import { memory } from './memory.js'
import { published } from './published.js'
import { roundtrips } from './roundtrips.js'
import { parseBenchArgs, usage } from './support/args.js'
import { removeKeysUnder } from './support/cleanup.js'
import { BenchContext } from './support/context.js'
import { redactUrl } from './support/format.js'
import { serverVersion } from './support/redis-info.js'
import type { Scenario } from './support/scenario.js'
import { sync } from './sync.js'

const scenarios: Scenario[] = [
  published,
  l1,
  getmany,
  roundtrips,
  concurrent,
  getOrSet,
  sync,
  cluster,
  memory,
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
  const selected = args.only === undefined ? scenarios : scenarios.filter((s) => args.only?.includes(s.name))
  const startedAt = performance.now()

  const shared = process.env.REDIS_URL
  let server: Awaited<ReturnType<typeof startRedisServer>> | undefined
  if (shared === undefined || shared === '') {
    try {
      server = await startRedisServer()
    } catch (error) {
      console.error(`Cannot start redis-server for the benchmark: ${(error as Error).message}`)
      return 1
    }
  }
  const url = server?.url ?? shared ?? ''
  const context = new BenchContext(url, args.quick)
  let failed = false
  try {
    const admin = await context.client()
    const version = await serverVersion(admin)
    console.log(
      [
        `flipcache benchmark${args.quick ? ' (--quick)' : ''}: ${selected.map((s) => s.name).join(', ')}`,
        `Node ${process.version} on ${process.platform}/${process.arch}`,
        `Redis ${version} at ${redactUrl(url)} (${server === undefined ? 'REDIS_URL' : 'private redis-server started for this run'})`,
        `Keys under ${context.prefix}:* (removed at the end)`,
      ].join('\n'),
    )
    try {
      for (const scenario of selected) await scenario.run(context)
    } finally {
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

function formatKeys(count: number): string {
  return count === 1 ? '1 key' : `${count} keys`
}

process.exitCode = await main()
