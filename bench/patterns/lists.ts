import { FlipList } from '../../src/index.js'
import type { PatternBench } from './pattern-bench.js'

/** How many values each latest-N list keeps (the article keeps 3; a feed keeps more). */
const KEEP = 100
/** Pushes per concurrent batch (calls of one tick: one round trip). */
const BATCH = 100

/**
 * Article 002's latest job views ("Lists"): LPUSH then LTRIM as two awaited commands, against
 * FlipList.push (LPUSH, LTRIM and the expiry in one Lua step, one round trip), one at a time and
 * as a batch of concurrent pushes.
 */
export const listPushes: PatternBench = {
  pattern: 'latest-N list: push',
  async setup(context, redis) {
    const article = context.key('patterns', 'lists', 'article')
    const views = context.own(
      new FlipList(context.key('patterns', 'lists', 'ours'), { redis, maxLength: KEEP, valueType: 'int' }),
    )
    let next = 0
    return {
      article: {
        name: 'article: LPUSH, then LTRIM',
        ops: 1,
        fn: async () => {
          await redis.lpush(article, next++)
          await redis.ltrim(article, 0, KEEP - 1)
        },
      },
      ours: [
        { name: 'FlipList.push', ops: 1, fn: () => views.push('job-views', next++) },
        {
          name: `FlipList.push ×${BATCH}, one tick`,
          ops: BATCH,
          fn: () => Promise.all(Array.from({ length: BATCH }, () => views.push('job-views', next++))),
        },
      ],
      configs: [
        {
          row: 'article: LPUSH',
          config: `raw ioredis: LPUSH then LTRIM 0 ${KEEP - 1}, each awaited (two round trips)`,
        },
        {
          row: 'FlipList.push',
          config: `FlipList maxLength ${KEEP}, valueType 'int': one EVAL (LPUSH + LTRIM), one round trip per call or per tick`,
        },
      ],
      async check() {
        const length = await views.length('job-views')
        if (length !== KEEP) throw new Error(`FlipList kept ${length} values, not ${KEEP}`)
        const newest = await views.range('job-views', 0, 0)
        if (newest[0] !== next - 1)
          throw new Error(`FlipList's newest value is ${newest[0]}, not ${next - 1}`)
      },
    }
  },
}

/** Reading the list back: LRANGE 0 -1 (the article's latest_views) against FlipList.range. */
export const listRanges: PatternBench = {
  pattern: 'latest-N list: range',
  async setup(context, redis) {
    const article = context.key('patterns', 'lists', 'read-article')
    const views = context.own(
      new FlipList(context.key('patterns', 'lists', 'read-ours'), {
        redis,
        maxLength: KEEP,
        valueType: 'int',
      }),
    )
    const values = Array.from({ length: KEEP }, (_, index) => index)
    await redis.lpush(article, ...values)
    await views.push('job-views', ...values)
    return {
      article: {
        name: 'article: LRANGE 0 -1',
        ops: 1,
        fn: async () => (await redis.lrange(article, 0, -1)).map(Number),
      },
      ours: [{ name: 'FlipList.range', ops: 1, fn: () => views.range('job-views') }],
      configs: [
        { row: 'article: LRANGE', config: `raw ioredis LRANGE 0 -1 of ${KEEP} integers, parsed with Number` },
        {
          row: 'FlipList.range',
          config: `FlipList.range() of ${KEEP} values, valueType 'int' (LRANGE, decoded)`,
        },
      ],
      async check() {
        const read = await views.range('job-views')
        if (read.length !== KEEP || read[0] !== KEEP - 1)
          throw new Error('FlipList.range read back the wrong list')
      },
    }
  },
}
