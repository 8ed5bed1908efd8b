import type { Redis } from 'ioredis'
import type { Section } from '../report/model.js'
import { user } from '../support/data.js'
import { formatCount, formatDuration } from '../support/format.js'
import { percentile } from '../support/measure.js'
import { progress } from '../support/progress.js'
import { commandWork } from '../support/redis-info.js'
import type { TaggedCache } from './subjects.js'

/** Two instances of one namespace: `writer` invalidates, `reader` reads next. */
export interface ReaderCase {
  name: string
  writer: TaggedCache
  reader: TaggedCache
  /**
   * What the writer does to sample `index`'s entry: invalidate its tag, delete it, or (for the first
   * meeting of a tag) write it afresh with a tag the reader never met.
   */
  kind: 'invalidate' | 'delete' | 'new-tag'
  /** Resolves once the reader has heard of the change (flipcache: its L1 copy is gone); else at once. */
  heard(key: string): Promise<void>
}

interface Sample {
  getMs: number
  reloadMs: number
  commands: number
}

/**
 * For each case, `samples` times: the reader holds an entry (read once), the writer changes it, the
 * reader hears; then the reader's get (a miss, or for 'new-tag' the new value) and, after a miss,
 * the reload (a set with the tag) on the clock, the server's commands of the get counted.
 */
export async function afterInvalidationSection(
  admin: Redis,
  cases: ReaderCase[],
  samples: number,
  configs: { row: string; config: string }[],
): Promise<Section> {
  const rows: string[][] = []
  progress.plan(cases.length)
  for (const each of cases) {
    const measured: Sample[] = []
    for (let index = 0; index < samples; index++) {
      const key = `after:${each.kind}:${index}`
      const tag = `after-${each.kind}-${index}`
      await each.writer.set(key, user(index), each.kind === 'delete' ? [] : [tag])
      if ((await each.reader.get(key)) === undefined) throw new Error(`tags: ${each.name} cannot read ${key}`)
      if (each.kind === 'invalidate') await each.writer.invalidate([tag])
      else if (each.kind === 'delete') await each.writer.delete(key)
      else await each.writer.set(key, user(index + 1), [`${tag}-new`])
      await each.heard(key)
      const before = await commandWork(admin)
      const startedAt = performance.now()
      const value = await each.reader.get(key)
      const gotAt = performance.now()
      const after = await commandWork(admin)
      const expectMiss = each.kind !== 'new-tag'
      if ((value === undefined) !== expectMiss)
        throw new Error(`tags: ${each.name} read ${JSON.stringify(value)} for ${key} after ${each.kind}`)
      let reloadMs = 0
      if (expectMiss) {
        const reloadAt = performance.now()
        await each.reader.set(key, user(index), each.kind === 'delete' ? [] : [tag])
        reloadMs = performance.now() - reloadAt
      }
      measured.push({ getMs: gotAt - startedAt, reloadMs, commands: after.calls - before.calls })
    }
    const gets = measured.map((sample) => sample.getMs).sort((a, b) => a - b)
    const totals = measured.map((sample) => sample.getMs + sample.reloadMs).sort((a, b) => a - b)
    const commands = measured.map((sample) => sample.commands).sort((a, b) => a - b)
    rows.push([
      each.name,
      formatCount(measured.length),
      formatDuration(percentile(gets, 0.5)),
      formatDuration(percentile(gets, 0.99)),
      each.kind === 'new-tag' ? '' : formatDuration(percentile(totals, 0.5)),
      String(percentile(commands, 0.5)),
    ])
    progress.step(each.name)
  }
  return {
    id: 'tags-after',
    title: 'Tags: the first read on another instance after an invalidation (miss + reload)',
    intro:
      `Two instances of one namespace, each on connections of its own, ${formatCount(samples)} entries per row. ` +
      'The reader reads an entry once; the writer invalidates its tag (or deletes it, the untagged baseline); ' +
      'once the reader has heard (flipcache: its L1 copy dropped; the peers run Redis-only, no bus), the reader ' +
      "gets it (a miss) and writes it back with its tag (the reload a getOrSet would do). 'new tag': the writer " +
      'rewrites the entry with a tag the reader has never met, and the reader gets the new value. cmds: Redis ' +
      'commands during the get (median; every client).',
    columns: [
      { header: 'reader' },
      { header: 'samples', align: 'right' },
      { header: 'get p50', align: 'right' },
      { header: 'get p99', align: 'right' },
      { header: 'get + reload p50', align: 'right' },
      { header: 'cmds/get', align: 'right' },
    ],
    rows,
    configs,
    notes: [
      "flipcache's reader has its L1 on: a get that misses L1 sends GET and PTTL (the L1 copy's life) in one round " +
        'trip, tagged or not; it knows the invalidated counts from the message, so the miss costs no more. A tag ' +
        'it has never met costs one more round trip (HMGET of the tag hash) on the first get that meets it. ' +
        'BentoCache (Redis) sends 3 GETs (the entry, its tag key) and a SET; cacheable a GET, 2 MGETs (the tag ' +
        'snapshot, the tag versions) and a MULTI/EXEC of 2 UNLINKs (the entry, its snapshot). With their memory ' +
        'tier on and no bus, a second BentoCache instance kept serving the invalidated entry from memory in a ' +
        'probe of this setup, so their rows run Redis-only.',
    ],
  }
}

/** Polls until `done()` (every ms, at most 2 s): how a row waits for the reader to hear. */
export async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 2_000
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`tags: ${what} did not happen within 2 s`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}
