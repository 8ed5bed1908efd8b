import { Redis } from 'ioredis'
import type { FlipCache as FlipCacheType } from '../../src/index.js'
import { expiresHashFields, fieldTtls } from '../../test/support/server-features.js'
import { FlipCache } from '../support/flipcache.js'
import { readInfo } from '../support/redis-info.js'
import {
  bucketSize,
  describeOption,
  type EntryExpiryChoice,
  type ExpiredUnreadPlan,
  type ExpiredUnreadRow,
  type HashStorage,
  longPerBucket,
  shortTtlFor,
} from './expired-plan.js'
import { settle, usedMemory } from './measure-memory.js'
import { smallEntries } from './shapes.js'
import { ttlMs } from './subjects.js'

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
