import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { Section } from '../report/model.js'
import type { Scenario } from './scenario.js'

/** How every table, row and summary of a run without a Redis server is labelled. */
export const noRedisLabel = 'no Redis: in-process scenarios only'

/** What the run measures against: `REDIS_URL`, a private redis-server, or nothing (in-process scenarios only). */
export type RedisSource = { kind: 'url'; url: string } | { kind: 'server' } | { kind: 'none' }

/**
 * `REDIS_URL` when set, else a private server: `FLIPCACHE_REDIS_SERVER` (a path, or a name on
 * `PATH`) when set and executable, else `redis-server` when one is on `PATH`; else none.
 */
export function redisSource(env: Record<string, string | undefined>): RedisSource {
  const url = env.REDIS_URL
  if (url !== undefined && url !== '') return { kind: 'url', url }
  const chosen = env.FLIPCACHE_REDIS_SERVER?.trim()
  if (chosen !== undefined && chosen !== '') {
    const found = chosen.includes('/') ? executable(chosen) : onPath(chosen, env.PATH ?? '')
    return found ? { kind: 'server' } : { kind: 'none' }
  }
  return onPath('redis-server', env.PATH ?? '') ? { kind: 'server' } : { kind: 'none' }
}

/** Whether `path` is a file this process may run. */
export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Whether an executable `name` is in one of the folders of `path` (a `PATH` value). */
export function onPath(name: string, path: string): boolean {
  for (const folder of path.split(delimiter)) {
    if (folder !== '' && executable(join(folder, name))) return true
  }
  return false
}

/**
 * The scenarios a run performs, and those it leaves out: without Redis only those that measure
 * the in-process path (`inProcess`) run, in the order given.
 */
export function selectScenarios(
  all: readonly Scenario[],
  only: readonly string[] | undefined,
  redis: boolean,
): { run: Scenario[]; skipped: Scenario[] } {
  const selected = only === undefined ? [...all] : all.filter((scenario) => only.includes(scenario.name))
  if (redis) return { run: selected, skipped: [] }
  return {
    run: selected.filter((scenario) => scenario.inProcess === true),
    skipped: selected.filter((scenario) => scenario.inProcess !== true),
  }
}

/** The closing lines of a run without Redis: what was left out, and how to get the whole comparison. */
export function fullComparisonHint(skipped: readonly string[]): string {
  return [
    `This was a run without Redis (${noRedisLabel}): every number above is flipcache's in-process path,`,
    'on an ioredis-mock client in place of a server; no Redis round trip was measured and docs/ were left alone.',
    ...(skipped.length > 0 ? [`Not run, as they measure Redis: ${skipped.join(', ')}.`] : []),
    'For the full comparison (Redis hits, writes, stampedes, invalidation, memory, peers), either',
    '  - install redis-server (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`)',
    '    and run `npm run bench` again: it starts a private server on a free port of 127.0.0.1, or',
    '  - set REDIS_URL to a Redis the benchmark may write to (only under a bench-<hex>: prefix, removed',
    '    afterwards): `REDIS_URL=redis://host:6379 npm run bench`.',
  ].join('\n')
}

/** A section of a run without Redis: its title, every row and every target say so. */
export function labelledInProcess(section: Section): Section {
  return {
    ...section,
    title: `${section.title} [${noRedisLabel}]`,
    rows: section.rows.map(([name = '', ...cells]) => [`${name} (no Redis)`, ...cells]),
    notes: [
      `${noRedisLabel}: the caches run on an in-memory ioredis-mock client; cmds/op and Redis CPU are not counted.`,
      ...(section.notes ?? []),
    ],
    ...(section.targets === undefined
      ? {}
      : {
          targets: section.targets.map((target) => ({ ...target, what: `${target.what} (${noRedisLabel})` })),
        }),
  }
}
