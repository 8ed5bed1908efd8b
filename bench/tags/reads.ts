import type { Section } from '../report/model.js'
import type { BenchContext } from '../support/context.js'
import { user } from '../support/data.js'
import { formatRatio } from '../support/format.js'
import { measure, ratio, resultOf, type TaskSpec } from '../support/measure.js'
import { barKind, measuredCells, measuredColumns, serverCpuNote } from '../support/rows.js'
import type { TaggedCache } from './subjects.js'

/** Keys read per run of a task, one after the other. */
const KEYS = 20

/** One cache read untagged (the baseline row), then tagged with one or more sets of tags. */
export interface ReadGroup {
  /** The cache for the untagged keys: the same as `tagged`, or the library with its tag service off. */
  untagged: TaggedCache
  tagged: TaggedCache
  /** The baseline row's name. */
  name: string
  /** Whether the target (no extra command for a tagged get) applies to its flipcache rows. */
  judged?: boolean
  /** Each tagged row: its name and the tags of its entries. */
  variants: { name: string; tags: readonly string[] }[]
}

/** Every key of a group, written, then read once (so that tags are known and L1s filled). */
async function fill(group: ReadGroup): Promise<string[][]> {
  const keySets: string[][] = []
  const writes: [TaggedCache, readonly string[]][] = [
    [group.untagged, []],
    ...group.variants.map(({ tags }): [TaggedCache, readonly string[]] => [group.tagged, tags]),
  ]
  for (const [index, [cache, tags]] of writes.entries()) {
    const keys = Array.from({ length: KEYS }, (_, id) => `read${index}:${id}`)
    await cache.setMany(
      keys.map((key, id) => [key, user(id)]),
      () => tags,
    )
    for (const key of keys) {
      if ((await cache.get(key)) === undefined)
        throw new Error(`tags: ${cache.label} cannot read back ${key}`)
    }
    keySets.push(keys)
  }
  return keySets
}

/**
 * Sequential gets of tagged entries against the same gets of untagged ones, in one timed run, each
 * tagged row as a ratio to its own untagged row; cmds/op shows any extra round trip.
 */
export async function readsSection(context: BenchContext, groups: ReadGroup[]): Promise<Section> {
  const tasks: TaskSpec[] = []
  let sink = 0
  for (const group of groups) {
    const keySets = await fill(group)
    const read = (cache: TaggedCache, list: string[]) => async () => {
      for (const key of list) sink += (await cache.get(key)) === undefined ? 0 : 1
    }
    const names = [group.name, ...group.variants.map((variant) => variant.name)]
    names.forEach((name, index) => {
      tasks.push({
        name,
        ops: KEYS,
        fn: read(index === 0 ? group.untagged : group.tagged, keySets[index] ?? []),
      })
    })
  }
  // Fewer rounds than the other tables: 14 rows of Redis reads; tagged and untagged rows still pair round by round.
  const timing = { ...context.timing, rounds: context.quick ? context.timing.rounds : 9 }
  const results = await measure(tasks, timing, context.commands)
  if (sink < 0) throw new Error('unreachable')
  const rows: string[][] = []
  const flipcacheRatios: string[] = []
  const extra: number[] = []
  for (const group of groups) {
    const base = resultOf(results, group.name)
    rows.push([group.name, ...measuredCells(base, base)])
    for (const { name } of group.variants) {
      const result = resultOf(results, name)
      rows.push([name, ...measuredCells(result, base)])
      if (group.judged !== true) continue
      flipcacheRatios.push(formatRatio(ratio(result, base)))
      extra.push(result.commandsPerOp - base.commandsPerOp)
    }
  }
  const noExtra = extra.every((delta) => Math.abs(delta) < 0.1)
  const peerLabels = ['BentoCache', 'cacheable']
  return {
    id: 'tags-get',
    title: `Tags: sequential get of ${KEYS} tagged entries vs the same untagged`,
    intro:
      `Each library reads ${KEYS} entries written without tags, then ${KEYS} written with tags, one get after the ` +
      "other, in one timed run (rows rotated each round); 'vs untagged' is each tagged row against its " +
      "library's untagged row above it. Every entry was read once before (its tags known to the reader). cmds/op counted on the server: " +
      'an extra round trip per get shows as one more command.',
    columns: [{ header: 'task' }, ...measuredColumns('vs untagged')],
    rows,
    configs: groups.map((group) => ({
      row: `${group.name.replace(/, untagged.*$/, '')}, …`,
      config:
        group.untagged === group.tagged
          ? group.tagged.config
          : `${group.tagged.config} Untagged row: ${group.untagged.config}`,
    })),
    notes: [
      'BentoCache reads each tag’s invalidation key through its own tiers (memory, then Redis) on every get of a ' +
        'tagged entry; cacheable with tags on reads the key’s tag snapshot and its tags’ versions from Redis on ' +
        'every get, also for memory hits and untagged entries (its tag service is off by default; the untagged ' +
        'cacheable rows have it off).',
      serverCpuNote,
    ],
    charts: [
      {
        id: 'tags-get',
        title: `Sequential get, tagged vs untagged (${KEYS} keys)`,
        unit: 'ops/s',
        better: 'higher',
        log: true,
        bars: tasks.map(({ name }) => ({
          label: name,
          value: resultOf(results, name).opsPerSec,
          kind: barKind(name, peerLabels),
        })),
      },
    ],
    targets: [
      {
        what: 'tags: flipcache get of a tagged entry, no extra Redis command (L1 hit; Redis read, tag known)',
        measured: `extra cmds/op ${extra.map((delta) => delta.toFixed(2)).join(', ')}; ratios ${flipcacheRatios.join(', ')}`,
        target: 'extra cmds/op 0',
        pass: noExtra,
        ...(noExtra
          ? {}
          : { why: 'a tagged get cost more Redis commands than an untagged one; see the table' }),
      },
    ],
  }
}
