import { Redis } from 'ioredis'
import { startRedisServer } from '../../test/support/redis-server.js'
import { expiresHashFields } from '../../test/support/server-features.js'
import { readInfo, serverVersion } from '../support/redis-info.js'
import type { ExpiredUnreadPlan, ExpiredUnreadRow } from './expired-plan.js'
import { measureExpiredUnread } from './expired-unread.js'
import { currentConfig, type MemoryRow, measureSubject } from './measure-memory.js'
import type { ShapeResult } from './report.js'
import { smallEntries } from './shapes.js'
import { baseline, fieldTtlSubjects, scriptWarmUp } from './subjects.js'

export const listpackSettings = ['hash-max-listpack-entries', 'hash-max-listpack-value']

/** 'Redis 7.0.15 (jemalloc-5.3.0)', 'Redis 8.0.2 (libc)': the allocator decides what used_memory counts. */
export async function serverLabel(admin: Redis): Promise<string> {
  const version = await serverVersion(admin)
  const allocator = (await readInfo(admin, 'memory')).get('mem_allocator') ?? 'unknown allocator'
  return `${version.startsWith('Valkey') ? version : `Redis ${version}`} (${allocator})`
}

/**
 * The "expired, never read" rows of one server: with `entryExpiry: 'auto'` (the default), and where
 * the server has field TTLs (so that 'auto' uses them) with `entryExpiry: 'header'` too.
 */
export async function expiredRowsOn(
  admin: Redis,
  url: string,
  plan: ExpiredUnreadPlan,
  settleMs: number,
): Promise<ExpiredUnreadRow[]> {
  const server = await serverLabel(admin)
  const rows: ExpiredUnreadRow[] = []
  if (await expiresHashFields(admin)) {
    rows.push(await measureExpiredUnread(admin, url, server, 'header', plan, settleMs))
  }
  rows.push(await measureExpiredUnread(admin, url, server, 'auto', plan, settleMs))
  return rows
}

/** What the pass on a server with field TTLs found. */
export interface FieldTtlPass {
  server: string
  /** Small entries: the baseline, then hash buckets with the expiry header and with the default. */
  result: ShapeResult
  expired: ExpiredUnreadRow[]
  settings: Record<string, string>
}

/** Starts `binary` (a Redis 8+ server), measures the field-TTL rows and the expired-entry rows on it, stops it. */
export async function fieldTtlPass(
  binary: string,
  count: number,
  plan: ExpiredUnreadPlan,
  settleMs: number,
): Promise<FieldTtlPass> {
  const server = await startRedisServer([], binary)
  const admin = new Redis(server.url)
  try {
    const settings = await currentConfig(admin, listpackSettings)
    // A first write into a fresh server pays for allocator warm-up, and its first script for the
    // script engine: run the baseline and a hash row once, unrecorded.
    await measureSubject(admin, server.url, scriptWarmUp, smallEntries, 1_000, settings, settleMs)
    await measureSubject(admin, server.url, baseline, smallEntries, count, settings, settleMs)
    const rows: MemoryRow[] = []
    for (const subject of fieldTtlSubjects) {
      rows.push(await measureSubject(admin, server.url, subject, smallEntries, count, settings, settleMs))
    }
    const expired = await expiredRowsOn(admin, server.url, plan, settleMs)
    return { server: await serverLabel(admin), result: { shape: smallEntries, rows }, expired, settings }
  } finally {
    await admin.quit()
    await server.stop()
  }
}
