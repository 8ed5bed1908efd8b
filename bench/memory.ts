import { Redis } from 'ioredis'
import { startRedisServer } from '../test/support/redis-server.js'
import { writeMemoryPage } from './memory/docs-page.js'
import { type ExpiredUnreadRow, fullPlan, quickPlan } from './memory/expired-plan.js'
import { expiredSection } from './memory/expired-report.js'
import { fieldTtlSection } from './memory/field-ttl-report.js'
import { currentConfig, type MemoryRow, measureSubject } from './memory/measure-memory.js'
import { findRedis8 } from './memory/redis8-server.js'
import {
  describeTarget,
  entryColumns,
  met,
  ratioToBaseline,
  type ShapeResult,
  targets,
} from './memory/report.js'
import { expiredRowsOn, type FieldTtlPass, fieldTtlPass, listpackSettings } from './memory/server-pass.js'
import { documents, smallEntries } from './memory/shapes.js'
import { baseline, scriptWarmUp, subjects } from './memory/subjects.js'
import type { Section } from './report/model.js'
import { serverVersion } from './support/redis-info.js'
import type { Scenario } from './support/scenario.js'

/**
 * Bytes per entry on Redis's own accounting (`INFO memory` `used_memory`), written by every way of
 * storing the same entries: raw JSON strings, flipcache's storage options, and other Node caches.
 * It empties the server between rows, so it always runs on a private redis-server of its own. Then
 * "expired, never read": what short-lived hash entries that nobody reads again still hold once
 * their TTL is over. A second pass on a Redis 8+ server (FLIPCACHE_REDIS8_SERVER, else CI's), when
 * there is one, measures hash buckets with and without field TTLs, and the expired entries there.
 */
export const memory: Scenario = {
  name: 'memory',
  summary:
    'Redis bytes per entry: raw JSON vs flipcache strings, hashes, codecs, compression, peer caches; field TTLs, expired entries',
  async run(context) {
    const server = await startRedisServer()
    const admin = new Redis(server.url)
    try {
      const defaults = await currentConfig(admin, listpackSettings)
      // --quick's numbers are indicative only: one cron tick of quiet is enough for them.
      const settleMs = context.quick ? 120 : 300
      const results: ShapeResult[] = []
      const sections: Section[] = []
      await measureSubject(admin, server.url, scriptWarmUp, smallEntries, 1_000, defaults, settleMs)
      for (const shape of [smallEntries, documents]) {
        const count = context.quick ? shape.count.quick : shape.count.full
        // A first write into a fresh server pays for allocator warm-up: run the baseline once, unrecorded.
        await measureSubject(admin, server.url, baseline, shape, count, defaults, settleMs)
        const rows: MemoryRow[] = []
        for (const subject of subjects) {
          rows.push(await measureSubject(admin, server.url, subject, shape, count, defaults, settleMs))
        }
        const result = { shape, rows }
        results.push(result)
        const id = results.length === 1 ? 'memory' : 'memory-documents'
        sections.push({
          id,
          title: `Memory: ${count.toLocaleString('en-US')} entries of ${shape.summary}, 1-hour TTL`,
          intro:
            'Redis bytes per entry by its own accounting (INFO memory used_memory before and after, on a private ' +
            'redis-server emptied between rows, the row’s connections closed first), every entry counted back. ' +
            'Details and guidance: docs/memory.md.',
          columns: entryColumns,
          rows: rows.map((row) => [
            row.subject.label,
            row.bytesPerEntry.toFixed(1),
            `${ratioToBaseline(result, row).toFixed(3)}×`,
            row.keys.toLocaleString('en-US'),
            row.encoding,
          ]),
          charts: [
            {
              id,
              title: `Redis bytes per entry: ${shape.summary}`,
              unit: 'bytes/entry',
              better: 'lower',
              bars: rows.map((row) => ({
                label: row.subject.label,
                value: row.bytesPerEntry,
                kind:
                  row.subject.group === 'baseline'
                    ? 'baseline'
                    : row.subject.group === 'flipcache'
                      ? 'flipcache'
                      : 'peer',
              })),
            },
          ],
        })
      }
      const plan = context.quick ? quickPlan : fullPlan
      const expired: ExpiredUnreadRow[] = await expiredRowsOn(admin, server.url, plan, settleMs)
      const redis8 = findRedis8()
      let fieldTtl: FieldTtlPass | { skipped: string }
      if ('skipped' in redis8) {
        console.log(`\nThe field-TTL pass is skipped: ${redis8.skipped}`)
        fieldTtl = redis8
      } else {
        const count = context.quick ? smallEntries.count.quick : smallEntries.count.full
        fieldTtl = await fieldTtlPass(redis8.binary, count, plan, settleMs)
        expired.push(...fieldTtl.expired)
        sections.push(fieldTtlSection(fieldTtl))
      }
      sections.push(expiredSection(expired))
      const [small] = results
      if (small === undefined) return
      const goals = targets(small)
      const first = sections[0]
      if (first !== undefined) {
        first.targets = goals.map((goal) => ({
          what: `memory: ${goal.what}`,
          measured: `${goal.measured.toFixed(3)}×`,
          target: `${goal.bound === 'max' ? '≤' : '≥'} ${goal.limit}×`,
          pass: met(goal),
          ...(met(goal) ? {} : { why: 'see docs/memory.md for what this layout costs and why' }),
        }))
      }
      for (const section of sections) context.report(section)
      // The full run's 100,000 entries judge the targets: with --quick's few thousand, every id is
      // short, so raw JSON fits Redis's embedded strings too and the ratios shift by a few percent.
      const judged = context.quick
        ? 'indicative only under --quick; the full run judges them'
        : 'small entries'
      console.log(`\nTargets (${judged}):\n${goals.map((goal) => `  ${describeTarget(goal)}`).join('\n')}`)
      if (context.quick) {
        console.log('  (--quick leaves docs/memory.md alone: only a full run rewrites it)')
        return
      }
      const written = writeMemoryPage(
        results,
        goals,
        { node: process.version, redis: await serverVersion(admin), settings: defaults },
        { fieldTtl, expired },
      )
      console.log(`  Wrote ${written.join(', ')}`)
    } finally {
      await admin.quit()
      await server.stop()
    }
  },
}
