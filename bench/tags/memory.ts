import { Redis } from 'ioredis'
import { startRedisServer } from '../../test/support/redis-server.js'
import { settle, usedMemory } from '../memory/measure-memory.js'
import { smallEntries } from '../memory/shapes.js'
import type { Section } from '../report/model.js'
import { formatCount } from '../support/format.js'
import { progress } from '../support/progress.js'
import type { SubjectOptions, TaggedCache } from './subjects.js'

/** The tags of entry `id` when it carries `count` of them (0, 1 or 3): short names, as most programs use. */
export function tagsOf(id: number, count: number): string[] {
  return [`org-${id % 100}`, `team-${id % 1000}`, `region-${id % 5}`].slice(0, count)
}

/**
 * What a tagged entry's header costs in bytes by docs/format.md's layout, while every count is below
 * 10: 5 (NUL, flags, 3 digits of length) plus, per tag, its percent-encoded length + 4 (`=0.0`),
 * plus a `,` between tags; that is 4 + the sum of (length + 5).
 */
export function predictedHeaderBytes(tags: readonly string[]): number {
  if (tags.length === 0) return 0
  return 4 + tags.reduce((sum, tag) => sum + encodeURIComponent(tag).length + 5, 0)
}

export interface MemoryCase {
  /** The library, as rows name it. */
  library: string
  open(options: SubjectOptions): Promise<TaggedCache>
}

interface Row {
  library: string
  tags: number
  bytesPerEntry: number
  keys: number
}

/**
 * Bytes per entry in Redis (INFO memory used_memory before and after, on a private server emptied
 * between rows, the row's connections closed first) of `count` small entries with 0, 1 and 3 tags,
 * and bytes per tag record once 1,000 tags are invalidated.
 */
export async function memorySection(cases: MemoryCase[], count: number, quick: boolean): Promise<Section> {
  const server = await startRedisServer()
  const admin = new Redis(server.url)
  const settleMs = quick ? 120 : 300
  const rows: Row[] = []
  const tagRecords: { library: string; bytes: number; keys: number; usage: string }[] = []
  const tagsInvalidated = quick ? 200 : 1_000
  progress.plan(cases.length * 4)
  try {
    for (const each of cases) {
      for (const tagCount of [0, 1, 3]) {
        await admin.flushall('SYNC')
        await settle(admin, settleMs)
        const before = await usedMemory(admin)
        const cache = await each.open({ url: server.url, namespace: 'users', tier: 'redis' })
        try {
          for (let start = 0; start < count; start += 1000) {
            const ids = Array.from({ length: Math.min(1000, count - start) }, (_, index) => start + index)
            await cache.setMany(
              ids.map((id) => [String(id), smallEntries.value(id)]),
              (key) => tagsOf(Number(key), tagCount),
            )
          }
          if ((await cache.get(String(count - 1))) === undefined)
            throw new Error(`tags memory: ${each.library} lost entry ${count - 1}`)
        } finally {
          await cache.close()
        }
        await settle(admin, settleMs)
        const after = await usedMemory(admin)
        rows.push({
          library: each.library,
          tags: tagCount,
          bytesPerEntry: (after - before) / count,
          keys: await admin.dbsize(),
        })
        progress.step(`${each.library}, ${tagCount} tags`)
      }
      // A tag's own record: what invalidating it leaves in Redis for good (or until its TTL). A first
      // round of tags, unmeasured, pays for what the library sets up once (Lua scripts, say).
      await admin.flushall('SYNC')
      await invalidateTags(each, server.url, 'warm', 100)
      await settle(admin, settleMs)
      const before = await usedMemory(admin)
      await invalidateTags(each, server.url, 'org', tagsInvalidated)
      await settle(admin, settleMs)
      const after = await usedMemory(admin)
      const [, [sample]] = await admin.scan('0', 'MATCH', '*org-1', 'COUNT', 100_000)
      const usage = sample === undefined ? 'none' : String(await admin.memory('USAGE', sample))
      tagRecords.push({
        library: each.library,
        bytes: (after - before) / tagsInvalidated,
        keys: (await admin.dbsize()) - 100,
        usage: `${usage} (${sample ?? 'no key'})`,
      })
      progress.step(`${each.library}, tag records`)
    }
  } finally {
    await admin.quit()
    await server.stop()
  }
  const untagged = new Map(
    rows.filter((row) => row.tags === 0).map((row) => [row.library, row.bytesPerEntry]),
  )
  return {
    id: 'tags-memory',
    title: `Tags: Redis bytes per entry of ${formatCount(count)} small entries with 0, 1 and 3 tags`,
    intro:
      `Small entries (${smallEntries.summary}), 1-hour TTL, written through each library's Redis store with 0, 1 or 3 tags ` +
      `(${tagsOf(7, 3)
        .map((tag) => `\`${tag}\``)
        .join(', ')}, the first 1 or 3 of them); bytes by Redis's own ` +
      'accounting (INFO memory used_memory before and after, on a private redis-server emptied between rows, the ' +
      "row's connections closed first). 'tag record': what a library keeps in Redis per tag invalidated, in bytes " +
      `per tag over ${formatCount(tagsInvalidated)} tags invalidated (after 100 unmeasured ones, which pay for ` +
      'what is set up once), and MEMORY USAGE of one.',
    columns: [
      { header: 'library' },
      { header: 'tags', align: 'right' },
      { header: 'bytes/entry', align: 'right' },
      { header: 'vs untagged', align: 'right' },
      { header: 'Redis keys', align: 'right' },
      { header: 'flipcache header (docs)', align: 'right' },
    ],
    rows: [
      ...rows.map((row) => [
        row.library,
        String(row.tags),
        row.bytesPerEntry.toFixed(1),
        row.tags === 0 ? '' : signed(row.bytesPerEntry - (untagged.get(row.library) ?? Number.NaN)),
        formatCount(row.keys),
        row.library === 'flipcache' && row.tags > 0 ? `+${predictedHeaderBytes(tagsOf(7, row.tags))}` : '',
      ]),
      ...tagRecords.map((record) => [
        `${record.library}, tag record`,
        '',
        `${record.bytes.toFixed(1)} per tag`,
        '',
        formatCount(record.keys),
        `MEMORY USAGE ${record.usage}`,
      ]),
    ],
    notes: [
      "flipcache header (docs): the header of entry 7's tags by docs/format.md's layout (5 bytes, plus per tag " +
        'its percent-encoded length + 4, plus a comma between tags); the measured difference also carries the ' +
        "allocator's rounding (jemalloc's size classes are 16 bytes apart up to 128, 32 up to 256, 64 up to 512).",
      'BentoCache keeps the tags in each entry’s JSON envelope; cacheable writes a second key per tagged entry ' +
        '(its tag snapshot) with the entry’s TTL.',
    ],
  }
}

/** Opens `each`'s cache, invalidates `count` tags `<stem>-<n>`, 100 at a time, and closes it. */
async function invalidateTags(each: MemoryCase, url: string, stem: string, count: number): Promise<void> {
  const cache = await each.open({ url, namespace: 'users', tier: 'redis' })
  try {
    for (let start = 0; start < count; start += 100) {
      await cache.invalidate(Array.from({ length: 100 }, (_, index) => `${stem}-${start + index}`))
    }
  } finally {
    await cache.close()
  }
}

/** A difference with its sign: +6.3, -0.3. */
function signed(bytes: number): string {
  return `${bytes >= 0 ? '+' : ''}${bytes.toFixed(1)}`
}
