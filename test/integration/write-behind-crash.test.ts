import { once } from 'node:events'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { FlipCache, type WriteBehindChange } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { type Child, spawnChild } from '../support/child-process.js'

const writes = 1000
/** The child dies in its third batch of 100, having recorded 50 of it. */
const crashAt = 3

let redis: Redis
const children: Child[] = []
const caches: FlipCache<string, string>[] = []

afterEach(async () => {
  for (const child of children.splice(0)) child.process.kill('SIGKILL')
  await Promise.all(caches.splice(0).map((cache) => cache.close()))
  redis?.disconnect()
})

/** Starts the child drainer of `mode` and kills it (SIGKILL) once it is mid-batch. */
async function crashMidBatch(mode: 'flipcache' | 'article', name: string, source: string): Promise<void> {
  const child = spawnChild(
    [inject('redisUrl'), mode, name, source, String(crashAt)],
    inject('childScripts').writeBehind,
  )
  children.push(child)
  expect(await child.line('mid-batch', 30_000)).toBe('mid-batch 50')
  const exited = once(child.process, 'exit')
  child.process.kill('SIGKILL')
  await exited
}

/** What reached the source: how many keys, and how many times beyond once. */
async function reached(
  source: string,
): Promise<{ keys: number; duplicates: number; values: Record<string, string> }> {
  const counts = await redis.hgetall(`${source}:counts`)
  const total = Object.values(counts).reduce((sum, count) => sum + Number(count), 0)
  const values = await redis.hgetall(`${source}:values`)
  return { keys: Object.keys(counts).length, duplicates: total - Object.keys(counts).length, values }
}

describe('write-behind when a drainer dies mid-batch (kill -9)', () => {
  it(`flipcache: all ${writes} writes reach the source, the dead batch's recorded half twice`, async () => {
    redis = new Redis(inject('redisUrl'))
    const name = uniqueName('wb-crash')
    const source = uniqueName('source')
    const options = { redis, valueType: 'string' as const }
    // This instance only writes: the child drains until it dies.
    const writer = new FlipCache<string, string>(name, {
      ...options,
      writeBehind: { flush: () => {}, drain: false },
    })
    caches.push(writer)
    for (let start = 0; start < writes; start += 100) {
      await writer.setMany(
        Array.from({ length: 100 }, (_, index) => [`k${start + index}`, `v${start + index}`]),
      )
    }
    await crashMidBatch('flipcache', name, source)
    // A surviving instance takes the dead one's pending entries once they are idle for claimAfter.
    const flush = async (changes: WriteBehindChange<string, string>[]) => {
      const pipeline = redis.pipeline()
      for (const change of changes) {
        pipeline.hset(`${source}:values`, change.key, change.op === 'set' ? change.value : '')
        pipeline.hincrby(`${source}:counts`, change.key, 1)
      }
      await pipeline.exec()
    }
    const survivor = new FlipCache<string, string>(name, {
      ...options,
      writeBehind: { flush, claimAfter: 1000, pollInterval: 20 },
    })
    caches.push(survivor)
    expect(await survivor.flushNow(20_000)).toBe(0)
    const { keys, duplicates, values } = await reached(source)
    expect(keys).toBe(writes)
    expect(duplicates).toBe(50)
    for (let index = 0; index < writes; index++) expect(values[`k${index}`]).toBe(`v${index}`)
    await redis.del(`${source}:values`, `${source}:counts`)
  }, 60_000)

  it(`the article's LPUSH + RPOP worker: the dead batch's unrecorded half is lost`, async () => {
    redis = new Redis(inject('redisUrl'))
    const list = uniqueName('db:write:queue')
    const source = uniqueName('source')
    // The article's write_behind: SET the value, LPUSH the write to the list.
    for (let index = 0; index < writes; index++) {
      await redis
        .multi()
        .set(`${list}:user:${index}`, `v${index}`, 'EX', 3600)
        .lpush(list, JSON.stringify({ id: `k${index}`, data: `v${index}` }))
        .exec()
    }
    await crashMidBatch('article', list, source)
    // A new worker drains what is left in the list.
    for (let popped = await redis.rpop(list, 100); popped !== null; popped = await redis.rpop(list, 100)) {
      const pipeline = redis.pipeline()
      for (const json of popped) {
        const { id, data } = JSON.parse(json) as { id: string; data: string }
        pipeline.hset(`${source}:values`, id, data).hincrby(`${source}:counts`, id, 1)
      }
      await pipeline.exec()
    }
    const { keys, duplicates } = await reached(source)
    expect(keys).toBe(writes - 50)
    expect(duplicates).toBe(0)
    await redis.del(`${source}:values`, `${source}:counts`)
  }, 60_000)
})
