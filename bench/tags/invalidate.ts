import type { Redis } from 'ioredis'
import type { Bar, Section } from '../report/model.js'
import { type User, user } from '../support/data.js'
import { formatCount, formatDuration } from '../support/format.js'
import { percentile } from '../support/measure.js'
import { progress } from '../support/progress.js'
import { commandWork } from '../support/redis-info.js'
import type { TaggedCache } from './subjects.js'

/** How many entries carry the tag invalidated: flipcache's cost must not grow with it. */
export const carriers = [10, 1_000, 10_000]

export interface InvalidationCost {
  label: string
  entries: number
  /** Median wall time of one invalidation, ms. */
  p50: number
  max: number
  /** Redis commands per invalidation (INFO commandstats, every client; the median). */
  commands: number
  /** µs Redis spent executing them, per invalidation (the median). */
  redisUsec: number
}

/**
 * For each cache: for each count, `count` entries written with a tag of their own; then the tags
 * invalidated `repeats` times each, the counts taking turns (so that no count always runs first, on
 * a colder process); each invalidation on the clock, and the server's command calls and µs around it.
 */
export async function invalidationCosts(
  admin: Redis,
  subjects: TaggedCache[],
  repeats: number,
): Promise<InvalidationCost[]> {
  const costs: InvalidationCost[] = []
  progress.plan(subjects.length)
  for (const subject of subjects) {
    const tagOf = (count: number) => `carried-by-${count}`
    const checkOf = (count: number) => `n${count}:${count - 1}`
    for (const count of carriers) {
      for (let start = 0; start < count; start += 1000) {
        const batch: [string, User][] = []
        for (let id = start; id < Math.min(count, start + 1000); id++)
          batch.push([`n${count}:${id}`, user(id)])
        await subject.setMany(batch, () => [tagOf(count)])
      }
      if ((await subject.get(checkOf(count))) === undefined)
        throw new Error(`tags: ${subject.label} lost ${checkOf(count)}`)
      // Once unmeasured: a library's first invalidation of a tag may create its record.
      await subject.invalidate([tagOf(count)])
    }
    const times = new Map(carriers.map((count) => [count, [] as number[]]))
    const calls = new Map(carriers.map((count) => [count, [] as number[]]))
    const usecs = new Map(carriers.map((count) => [count, [] as number[]]))
    for (let run = 0; run < repeats; run++) {
      for (const count of carriers) {
        const before = await commandWork(admin)
        const startedAt = performance.now()
        await subject.invalidate([tagOf(count)])
        times.get(count)?.push(performance.now() - startedAt)
        const after = await commandWork(admin)
        calls.get(count)?.push(after.calls - before.calls)
        usecs.get(count)?.push(after.usec - before.usec)
      }
    }
    for (const count of carriers) {
      if ((await subject.get(checkOf(count))) !== undefined)
        throw new Error(`tags: ${subject.label} still serves ${checkOf(count)} after invalidating its tag`)
      const sorted = [...(times.get(count) ?? [])].sort((a, b) => a - b)
      costs.push({
        label: subject.label,
        entries: count,
        p50: percentile(sorted, 0.5),
        max: sorted.at(-1) ?? 0,
        commands: median(calls.get(count) ?? []),
        redisUsec: median(usecs.get(count) ?? []),
      })
    }
    progress.step(`${subject.label}: invalidating tags of ${carriers.map(formatCount).join(', ')} entries`)
  }
  return costs
}

/** The section of docs/benchmarks.md: one row per cache and count, a chart of the 10,000 rows. */
export function invalidationSection(
  costs: InvalidationCost[],
  repeats: number,
  configs: { row: string; config: string }[],
): Section {
  const byLabel = new Map<string, InvalidationCost[]>()
  for (const cost of costs) byLabel.set(cost.label, [...(byLabel.get(cost.label) ?? []), cost])
  const flipcache = costs.filter((cost) => cost.label.startsWith('flipcache'))
  const small = flipcache.find((cost) => cost.entries === carriers[0])
  const large = flipcache.find((cost) => cost.entries === carriers.at(-1))
  const growth = small === undefined || large === undefined ? Number.NaN : large.p50 / small.p50
  const flatCommands = flipcache.every((cost) => Math.abs(cost.commands - (small?.commands ?? 0)) < 0.5)
  const bars: Bar[] = costs
    .filter((cost) => cost.entries === carriers.at(-1))
    .map((cost) => ({
      label: cost.label,
      value: cost.p50,
      kind: cost.label.startsWith('flipcache') ? 'flipcache' : 'peer',
    }))
  return {
    id: 'tags-invalidate',
    title: 'Tags: invalidating one tag carried by 10, 1,000 and 10,000 entries',
    intro:
      `Each library writes N entries carrying one tag of their own, then invalidates that tag ${repeats} times ` +
      '(after one unmeasured time), the three tags taking turns. p50/max: wall time of one invalidation, from ' +
      'the call to its promise resolving. cmds and Redis µs: INFO commandstats around each invalidation (every ' +
      'client, INFO itself left out), the median over the invalidations. Work that grows with N would show in all three columns.',
    columns: [
      { header: 'library' },
      { header: 'entries', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'max', align: 'right' },
      { header: 'cmds', align: 'right' },
      { header: 'Redis µs', align: 'right' },
    ],
    rows: costs.map((cost) => [
      cost.label,
      formatCount(cost.entries),
      formatDuration(cost.p50),
      formatDuration(cost.max),
      String(cost.commands),
      cost.redisUsec.toFixed(1),
    ]),
    configs,
    notes: [
      'flipcache: on a single node one EVAL (per tag a HINCRBY and a HGET of the tag hash, then the PUBLISH to ' +
        'the other instances, all inside it: 4 commands, one round trip; on a Cluster one EVAL per tag, then the ' +
        'PUBLISH); nothing is written per entry. BentoCache writes its ' +
        "tag key (`___bc:t:<tag>`, a timestamp) through its tiers in one SET; cacheable raises the tag's version " +
        'key. All three judge the entries when they are read (see the next tables), so none does work per entry here.',
    ],
    charts: [
      {
        id: 'tags-invalidate',
        title: `Invalidating a tag of ${formatCount(carriers.at(-1) ?? 0)} entries, p50`,
        unit: 'ms',
        better: 'lower',
        bars,
      },
    ],
    targets: [
      {
        what: `tags: invalidateTags of a tag on ${formatCount(carriers.at(-1) ?? 0)} entries vs on ${formatCount(carriers[0] ?? 0)} (p50, same commands)`,
        measured: `${growth.toFixed(2)}×, cmds ${flipcache.map((cost) => String(cost.commands)).join(' / ')}`,
        target: '≤ 2× and the same commands',
        pass: growth <= 2 && flatCommands,
        ...(growth <= 2 && flatCommands
          ? {}
          : { why: 'the time or the commands grew with the entries carrying the tag; see the table' }),
      },
    ],
  }
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
}
