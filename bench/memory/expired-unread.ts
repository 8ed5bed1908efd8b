import { Redis } from 'ioredis'
import type { FlipCacheOptions, FlipCache as FlipCacheType } from '../../src/index.js'
import { expiresHashFields, fieldTtls } from '../../test/support/server-features.js'
import { FlipCache } from '../support/flipcache.js'
import { readInfo } from '../support/redis-info.js'
import { settle, usedMemory } from './measure-memory.js'
import { smallEntries } from './shapes.js'
import { ttlMs } from './subjects.js'

type HashStorage = Extract<NonNullable<FlipCacheOptions<number, unknown>['storage']>, { bucketSize: number }>
/** A value of `storage.entryExpiry`. */
export type EntryExpiryChoice = NonNullable<HashStorage['entryExpiry']>

/** How big the "expired, never read" scenario is. */
export interface ExpiredUnreadPlan {
  /** Buckets of {@link bucketSize} fields, each holding long-lived and short-lived entries. */
  buckets: number
  /**
   * The short-lived entries' TTL, at least: a loaded machine that took long over the long-lived
   * writes gets twice the time it should take over the short-lived ones (see {@link shortTtlFor}).
   */
  shortTtlMs: number
  /** How long to wait, past the TTL, for the server's active expiry to settle before giving up. */
  boundMs: number
}

/** 20 long-lived entries (1-hour TTL) and 80 short-lived ones in every bucket of 100 fields. */
export const bucketSize = 100
export const longPerBucket = 20

/** The full run: 1,250 buckets, 100,000 short-lived entries of 2 s, up to 20 s for expiry. */
export const fullPlan: ExpiredUnreadPlan = { buckets: 1_250, shortTtlMs: 2_000, boundMs: 20_000 }
/** --quick: a tenth of the entries and a 1-s TTL. */
export const quickPlan: ExpiredUnreadPlan = { buckets: 125, shortTtlMs: 1_000, boundMs: 20_000 }

/** What one server and one `entryExpiry` did with entries that expired and were never read. */
export interface ExpiredUnreadRow {
  server: string
  /** The option as the cache was given it. */
  option: string
  /** What the server holds, as observed: 'field TTLs' (HPTTL of a short-lived field) or 'expiry header'. */
  path: 'field TTLs' | 'expiry header'
  /** `OBJECT ENCODING` of a bucket holding both kinds of entries. */
  encoding: string
  longLived: number
  shortLived: number
  /** The short-lived entries' TTL. */
  shortTtlMs: number
  /** `used_memory` with the long-lived entries only, after the short-lived ones were written, after they expired. */
  memory: { baseline: number; written: number; expired: number }
  /** Fields in the buckets, summed, once expiry settled. */
  fieldsLeft: number
  /** From the short TTL's end to the last change in the number of fields (0: none changed). */
  expiryMs: number
  /** Whether the fields stopped changing, and the server's active expiry ran, within the plan's bound. */
  settled: boolean
}

const name = 'expiring'
const batchSize = 1_000
const quietMs = 1_000
const pollMs = 100

/**
 * Writes `plan.buckets` buckets of long-lived entries, measures `used_memory`, writes the
 * short-lived entries into the same buckets and measures again, then never reads them: it polls the
 * buckets' field counts until they stop changing after the TTL has passed (and the server's active
 * expiry has been seen to run), and measures a third time. Finally every long-lived entry is read
 * back through FlipCache (the row fails if one is missing).
 */
export async function measureExpiredUnread(
  admin: Redis,
  url: string,
  server: string,
  entryExpiry: EntryExpiryChoice,
  plan: ExpiredUnreadPlan,
  settleMs: number,
): Promise<ExpiredUnreadRow> {
  await admin.flushall('SYNC')
  const longKeys: number[] = []
  const shortKeys: number[] = []
  for (let bucket = 0; bucket < plan.buckets; bucket++) {
    for (let field = 0; field < bucketSize; field++) {
      ;(field < longPerBucket ? longKeys : shortKeys).push(bucket * bucketSize + field)
    }
  }
  const storage: HashStorage = { kind: 'hash', bucketSize, entryExpiry }
  const longStarted = Date.now()
  await withCache(url, storage, (cache) => writeAll(cache, longKeys, ttlMs))
  const shortTtlMs = shortTtlFor(plan, Date.now() - longStarted, shortKeys.length / longKeys.length)
  await settle(admin, settleMs)
  const baseline = await usedMemory(admin)
  await withCache(url, storage, (cache) => writeAll(cache, shortKeys, shortTtlMs))
  const ttlOver = Date.now() + shortTtlMs
  // A key of the same TTL, never read, alone in database 1 (so the first expiry cycle past its TTL
  // finds it): once the server reports it expired, its active expiry has run past the entries' TTL.
  const expiredBefore = await expiredKeys(admin)
  const other = new Redis(url, { db: 1 })
  await other.set(`${name}:sentinel`, '1', 'PX', shortTtlMs)
  await other.quit()
  const path = (await fieldHasTtl(admin, shortKeys[0] ?? 0)) ? 'field TTLs' : 'expiry header'
  const encoding = String(await admin.object('ENCODING', bucketKey(0)))
  await settle(admin, settleMs)
  const written = await usedMemory(admin)
  const total = longKeys.length + shortKeys.length
  let fields = await countFields(admin, plan.buckets)
  if (fields !== total) {
    throw new Error(
      `${server}, ${describeOption(entryExpiry)}: ${fields} of ${total} fields left before the second reading: ` +
        `the writes outlasted the ${shortTtlMs}-ms TTL (a loaded machine?)`,
    )
  }
  let lastChange = 0
  let settled = false
  while (Date.now() < ttlOver + plan.boundMs) {
    await sleep(pollMs)
    const now = await countFields(admin, plan.buckets)
    if (now !== fields) {
      fields = now
      lastChange = Date.now()
    }
    const quietSince = Math.max(lastChange, ttlOver)
    if (Date.now() - quietSince >= quietMs && (await expiredKeys(admin)) > expiredBefore) {
      settled = true
      break
    }
  }
  await settle(admin, settleMs)
  const expired = await usedMemory(admin)

  const present = await withCache(url, storage, (cache) => countPresent(cache, longKeys))
  if (present !== longKeys.length) {
    throw new Error(
      `${server}, ${describeOption(entryExpiry)}: ${present} of ${longKeys.length} long-lived entries read back`,
    )
  }
  return {
    server,
    option: describeOption(entryExpiry),
    path,
    encoding,
    longLived: longKeys.length,
    shortLived: shortKeys.length,
    shortTtlMs,
    memory: { baseline, written, expired },
    fieldsLeft: fields,
    expiryMs: lastChange > ttlOver ? lastChange - ttlOver : 0,
    settled,
  }
}

/**
 * The plan's TTL, or twice the time the short-lived writes should take (`ratio` times as many as the
 * long-lived ones, which took `longWriteMs`), in whole seconds, if that is longer: the reading taken
 * after the writes must come before the first of them expires.
 */
export function shortTtlFor(plan: ExpiredUnreadPlan, longWriteMs: number, ratio: number): number {
  const needed = Math.ceil((2 * longWriteMs * ratio) / 1000) * 1000
  return Math.max(plan.shortTtlMs, needed)
}

/** The bytes an expired, never-read entry still holds, per entry. */
export function heldPerEntry(row: ExpiredUnreadRow): number {
  return (row.memory.expired - row.memory.baseline) / row.shortLived
}

/** The bytes a short-lived entry added while it was live, per entry. */
export function addedPerEntry(row: ExpiredUnreadRow): number {
  return (row.memory.written - row.memory.baseline) / row.shortLived
}

export function describeOption(entryExpiry: EntryExpiryChoice): string {
  return `entryExpiry '${entryExpiry}'${entryExpiry === 'auto' ? ' (default)' : ''}`
}

type Cache = FlipCacheType<number, unknown>

async function withCache<T>(
  url: string,
  storage: HashStorage,
  use: (cache: Cache) => Promise<T>,
): Promise<T> {
  const redis = new Redis(url)
  const cache = new FlipCache<number, unknown>(name, {
    redis,
    keyType: 'int',
    valueType: 'msgpack',
    expireTime: ttlMs,
    localMax: 0,
    storage,
  })
  try {
    return await use(cache)
  } finally {
    await cache.close()
    await redis.quit()
  }
}

async function writeAll(cache: Cache, keys: number[], expireTime: number): Promise<void> {
  for (let start = 0; start < keys.length; start += batchSize) {
    const batch = keys.slice(start, start + batchSize).map((key) => [key, smallEntries.value(key)] as const)
    await cache.setMany(batch, { expireTime })
  }
}

async function countPresent(cache: Cache, keys: number[]): Promise<number> {
  let present = 0
  for (let start = 0; start < keys.length; start += batchSize) {
    const batch = keys.slice(start, start + batchSize)
    const values = await cache.getMany(batch)
    batch.forEach((key, index) => {
      if (JSON.stringify(values[index]) === JSON.stringify(smallEntries.value(key))) present++
    })
  }
  return present
}

function bucketKey(bucket: number): string {
  return `${name}:b:${bucket}`
}

/** The fields of every bucket, summed (HLEN does not expire fields: it counts what the server holds). */
async function countFields(admin: Redis, buckets: number): Promise<number> {
  const pipeline = admin.pipeline()
  for (let bucket = 0; bucket < buckets; bucket++) pipeline.hlen(bucketKey(bucket))
  const replies = (await pipeline.exec()) ?? []
  return replies.reduce((sum, [error, length]) => {
    if (error) throw error
    return sum + Number(length)
  }, 0)
}

/** Whether the server has field TTLs and the field of `key` carries one. */
async function fieldHasTtl(admin: Redis, key: number): Promise<boolean> {
  if (!(await expiresHashFields(admin))) return false
  const [ttl] = await fieldTtls(admin, bucketKey(Math.floor(key / bucketSize)), String(key % bucketSize))
  return ttl !== undefined && ttl > 0
}

async function expiredKeys(admin: Redis): Promise<number> {
  return Number((await readInfo(admin, 'stats')).get('expired_keys'))
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
