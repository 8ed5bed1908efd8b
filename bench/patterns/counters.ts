import type { Redis } from 'ioredis'
import type { FlipCounter as FlipCounterType } from '../../src/index.js'
import type { BenchContext } from '../support/context.js'
import type { PatternBench, PatternTasks } from './pattern-bench.js'
// The built package, as bench/support/flipcache.ts loads it (and checks it was built).
import '../support/flipcache.js'

const { FlipCounter } = (await import(
  new URL('../../dist/index.js', import.meta.url).href
)) as typeof import('../../src/index.js')

/** Article 002's expiry: 100 s. */
const expireSeconds = 100
/** How many increments one run of a concurrent task makes in one tick, one per job. */
const concurrent = 100

/**
 * The article's `job_view`: INCR and EXPIRE in a (non-transactional) pipeline, one round trip, two
 * commands; then its restore check, `if result == 1`, which fires only on a missing counter (never
 * here: the counters stay live) and would lose the increments that raced it.
 */
async function articleIncrement(redis: Redis, key: string, restore: () => number): Promise<number> {
  const replies = await redis.pipeline().incr(key).expire(key, expireSeconds).exec()
  const value = replies?.[0]?.[1] as number
  if (value !== 1) return value
  const restored = restore()
  await redis.set(key, restored)
  return restored
}

function counters(context: BenchContext, redis: Redis, label: string) {
  const plain = new FlipCounter(context.key(label, 'ours'), { redis, expireTime: `${expireSeconds}s` })
  const durable = new FlipCounter(context.key(label, 'durable'), {
    redis,
    expireTime: `${expireSeconds}s`,
    restore: () => 10,
    persist: async () => {},
    persistInterval: '1m',
  })
  context.own(plain)
  context.own(durable)
  return { plain, durable }
}

const configs = (suffix: string): PatternTasks['configs'] => [
  {
    row: `article: INCR + EXPIRE${suffix}`,
    config: `INCR + EXPIRE ${expireSeconds} in one pipeline, then the article's restore check`,
  },
  {
    row: `FlipCounter.increment${suffix}`,
    config: `increment(): one EVAL (HINCRBY + PEXPIRE), expireTime '${expireSeconds}s'`,
  },
  {
    row: `FlipCounter.increment with restore + persist${suffix}`,
    config: 'the same with restore and persist: the EVAL also records the change (SADD)',
  },
]

async function checkLive(
  redis: Redis,
  keys: string[],
  counter: FlipCounterType<string>,
  ours: string,
): Promise<void> {
  const article = Number(await redis.get(keys[0] ?? ''))
  const value = await counter.get(ours)
  if (!(article > 0 && value > 0))
    throw new Error(`counters did not count: article ${article}, ours ${value}`)
}

/** One increment at a time, awaited: what a request handler counting one view does. */
export const sequentialCounters: PatternBench = {
  pattern: 'counters',
  async setup(context, redis) {
    const key = context.key('counters', 'article', 'job-1')
    const { plain, durable } = counters(context, redis, 'counters')
    return {
      article: { name: 'article: INCR + EXPIRE', ops: 1, fn: () => articleIncrement(redis, key, () => 10) },
      ours: [
        { name: 'FlipCounter.increment', ops: 1, fn: () => plain.increment('job-1') },
        {
          name: 'FlipCounter.increment with restore + persist',
          ops: 1,
          fn: () => durable.increment('job-1'),
        },
      ],
      configs: configs(''),
      check: () => checkLive(redis, [key], plain, 'job-1'),
    }
  },
}

/** 100 increments of 100 jobs in one tick: a page counting the views of its listing. */
export const concurrentCounters: PatternBench = {
  pattern: `counters ×${concurrent}`,
  async setup(context, redis) {
    const jobs = Array.from({ length: concurrent }, (_, index) => `job-${index}`)
    const keys = jobs.map((job) => context.key('counters-tick', 'article', job))
    const { plain, durable } = counters(context, redis, 'counters-tick')
    return {
      article: {
        name: `article: INCR + EXPIRE ×${concurrent}, one tick`,
        ops: concurrent,
        fn: () => Promise.all(keys.map((key) => articleIncrement(redis, key, () => 10))),
      },
      ours: [
        {
          name: `FlipCounter.increment ×${concurrent}, one tick`,
          ops: concurrent,
          fn: () => Promise.all(jobs.map((job) => plain.increment(job))),
        },
        {
          name: `FlipCounter.increment with restore + persist ×${concurrent}, one tick`,
          ops: concurrent,
          fn: () => Promise.all(jobs.map((job) => durable.increment(job))),
        },
      ],
      configs: configs(` ×${concurrent}, one tick`),
      check: () => checkLive(redis, keys, plain, 'job-0'),
    }
  },
}
