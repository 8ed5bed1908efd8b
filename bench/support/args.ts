import { parseArgs } from 'node:util'

export interface BenchArgs {
  /** Short runs for CI: the whole benchmark finishes well under a minute. */
  quick: boolean
  /** Scenario names to run, in the order given; `undefined` for all of them. */
  only: string[] | undefined
  help: boolean
}

export const usage = `Usage: npm run bench -- [--quick] [--only name,name]

  --quick        short runs (CI); the whole benchmark takes well under a minute
  --only a,b     run only these scenarios
  --help         show this help

Uses REDIS_URL when it is set (writing only under a bench-<random> prefix, removed afterwards);
otherwise starts a private redis-server on 127.0.0.1. With neither (no redis-server on the PATH, no
REDIS_URL), runs only the scenarios that measure the in-process path, on an in-memory ioredis-mock client,
labelled "no Redis: in-process scenarios only", and says how to get the full comparison.
The memory scenario runs on private servers of its own: redis-server (or FLIPCACHE_REDIS_SERVER), and
for hash field TTLs a Redis 8+ that FLIPCACHE_REDIS8_SERVER names (else CI's cached one; else skipped).`

/** Parses the command line; throws a `TypeError` on an unknown flag or a scenario that does not exist. */
export function parseBenchArgs(argv: string[], known: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  })
  let only: string[] | undefined
  if (values.only !== undefined) {
    only = [
      ...new Set(values.only.flatMap((list) => list.split(',').map((name) => name.trim())).filter(Boolean)),
    ]
    const unknown = only.filter((name) => !known.includes(name))
    if (unknown.length > 0 || only.length === 0) {
      throw new TypeError(
        `Unknown scenario ${unknown.map((name) => `'${name}'`).join(', ') || "''"} in --only; known: ${known.join(', ')}`,
      )
    }
  }
  return { quick: values.quick ?? false, only, help: values.help ?? false }
}
