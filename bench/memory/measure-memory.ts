import type { Redis } from 'ioredis'
import { structuresPrefix } from '../../src/store/structure-keys.js'
import { readInfo } from '../support/redis-info.js'
import type { Shape } from './shapes.js'
import type { Subject } from './subjects.js'

/** What one subject cost for one shape, on Redis's own accounting. */
export interface MemoryRow {
  subject: Subject
  entries: number
  /** `used_memory` after the writes minus before, per entry. */
  bytesPerEntry: number
  /** Redis keys the entries took. */
  keys: number
  /** `OBJECT ENCODING` of one of those keys: `embstr`, `raw`, `listpack`, `hashtable`. */
  encoding: string
}

const batchSize = 1000

/**
 * Writes `count` entries of `shape` through `subject` into an emptied server, and reads `INFO memory`
 * `used_memory` before and after. The subject's connections are closed before the second reading,
 * so only the data is counted; then every entry is counted back, so that a subject that dropped
 * writes cannot look lean.
 */
export async function measureSubject(
  admin: Redis,
  url: string,
  subject: Subject,
  shape: Shape,
  count: number,
  defaults: Record<string, string>,
  /** The quiet time before each reading: a few server cron ticks (shorter under --quick). */
  settleMs = 300,
): Promise<MemoryRow> {
  await admin.flushall('SYNC')
  for (const [setting, value] of Object.entries({ ...defaults, ...subject.serverConfig })) {
    await admin.config('SET', setting, value)
  }
  await settle(admin, settleMs)
  const before = await usedMemory(admin)
  const writer = await subject.open(url)
  try {
    for (let start = 0; start < count; start += batchSize) {
      const batch: [number, unknown][] = []
      for (let id = start; id < Math.min(count, start + batchSize); id++) batch.push([id, shape.value(id)])
      await writer.write(batch)
    }
  } finally {
    await writer.close()
  }
  await settle(admin, settleMs)
  const after = await usedMemory(admin)
  const { keys, entries, encoding } = await census(admin)
  if (entries !== count) {
    throw new Error(`${subject.label}: wrote ${count} entries, found ${entries} in Redis (${keys} keys)`)
  }
  return { subject, entries, bytesPerEntry: (after - before) / count, keys, encoding }
}

/** The server's value of each setting, to restore between subjects. */
export async function currentConfig(admin: Redis, settings: string[]): Promise<Record<string, string>> {
  const values: Record<string, string> = {}
  for (const setting of settings) {
    const [, value] = (await admin.config('GET', setting)) as string[]
    if (value === undefined) throw new Error(`CONFIG GET ${setting} returned nothing`)
    values[setting] = value
  }
  return values
}

export async function usedMemory(admin: Redis): Promise<number> {
  const value = Number((await readInfo(admin, 'memory')).get('used_memory'))
  if (!Number.isSafeInteger(value)) throw new Error('INFO memory has no usable used_memory')
  return value
}

/**
 * Waits until the admin connection is the only client, then for a few server cron ticks (10 per
 * second), in which Redis shrinks idle query buffers and finishes rehashing its key tables.
 */
export async function settle(admin: Redis, quietMs: number): Promise<void> {
  const deadline = Date.now() + 5_000
  while (Number((await readInfo(admin, 'clients')).get('connected_clients')) > 1) {
    if (Date.now() > deadline) throw new Error('Connections of the last subject are still open after 5 s')
    await sleep(20)
  }
  await sleep(quietMs)
}

/** Counts the keys, and the entries in them (a hash holds many); reads the encoding of one key. */
async function census(admin: Redis): Promise<{ keys: number; entries: number; encoding: string }> {
  let cursor = '0'
  let keys = 0
  let entries = 0
  let sample: string | undefined
  do {
    const [next, found] = await admin.scan(cursor, 'COUNT', 1000)
    cursor = next
    const pipeline = admin.pipeline()
    for (const key of found) pipeline.type(key)
    const types = (await pipeline.exec()) ?? []
    // A string key is one entry; a hash holds as many as it has fields.
    const lengths = admin.pipeline()
    found.forEach((key, index) => {
      const type = types[index]?.[1]
      if (type === 'hash') lengths.hlen(key)
      else if (type === 'string') entries++
      // `sharedStructures`' registry: a key (its bytes count), no entry.
      else if (type !== 'list' || !key.startsWith(structuresPrefix))
        throw new Error(`Unexpected ${String(type)} key ${key}`)
    })
    if (lengths.length > 0) for (const [, length] of (await lengths.exec()) ?? []) entries += Number(length)
    keys += found.length
    sample ??= found.find((key) => !key.startsWith(structuresPrefix))
  } while (cursor !== '0')
  const encoding = sample === undefined ? 'none' : String(await admin.object('ENCODING', sample))
  return { keys, entries, encoding }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
