import { FlipRanking } from '../../src/index.js'
import type { PatternBench } from './pattern-bench.js'

/** Members of the ranking read by the top() rows, and how many top() asks for. */
const MEMBERS = 1000
const TOP = 10
/** Increments per concurrent batch (calls of one tick: one round trip). */
const BATCH = 100

/**
 * Article 002's top jobs by views ("Sorted sets"), as the issue words it: ZINCRBY per view, against
 * FlipRanking.increment (ZINCRBY, the trim to maxSize and the expiry in one Lua step).
 */
export const rankingIncrements: PatternBench = {
  pattern: 'ranking: increment',
  async setup(context, redis) {
    const article = context.key('patterns', 'rankings', 'article')
    const jobs = context.own(
      new FlipRanking(context.key('patterns', 'rankings', 'ours'), { redis, memberType: 'int' }),
    )
    const trimmed = context.own(
      new FlipRanking(context.key('patterns', 'rankings', 'trimmed'), {
        redis,
        memberType: 'int',
        maxSize: 100,
      }),
    )
    let view = 0
    const job = (): number => view++ % MEMBERS
    return {
      article: {
        name: 'article: ZINCRBY',
        ops: 1,
        fn: async () => Number(await redis.zincrby(article, 1, job())),
      },
      ours: [
        { name: 'FlipRanking.increment', ops: 1, fn: () => jobs.increment('top', job()) },
        { name: 'FlipRanking.increment, maxSize 100', ops: 1, fn: () => trimmed.increment('top', job()) },
        {
          name: `FlipRanking.increment ×${BATCH}, one tick`,
          ops: BATCH,
          fn: () => Promise.all(Array.from({ length: BATCH }, () => jobs.increment('top', job()))),
        },
      ],
      configs: [
        { row: 'article: ZINCRBY', config: 'raw ioredis ZINCRBY, awaited, its score parsed with Number' },
        {
          row: 'FlipRanking.increment',
          config: `FlipRanking memberType 'int', ${MEMBERS} members: one EVAL (ZINCRBY, with maxSize also ZCARD and ZREMRANGEBYRANK)`,
        },
      ],
      async check() {
        const size = await trimmed.size('top')
        if (size > 100) throw new Error(`FlipRanking kept ${size} members past maxSize 100`)
        const [best] = await jobs.top('top', 1)
        if (best === undefined || best.score < 1) throw new Error('FlipRanking.increment counted nothing')
      },
    }
  },
}

/** Reading the top N: ZREVRANGE 0 N-1 WITHSCORES (parsed into pairs) against FlipRanking.top. */
export const rankingTops: PatternBench = {
  pattern: 'ranking: top',
  async setup(context, redis) {
    const article = context.key('patterns', 'rankings', 'read-article')
    const jobs = context.own(
      new FlipRanking(context.key('patterns', 'rankings', 'read-ours'), { redis, memberType: 'int' }),
    )
    const scored = Array.from({ length: MEMBERS }, (_, member) => [member, member] as const)
    await redis.zadd(article, ...scored.flat())
    await Promise.all(scored.map(([member, score]) => jobs.increment('top', member, score + 1)))
    return {
      article: {
        name: `article: ZREVRANGE 0 ${TOP - 1} WITHSCORES`,
        ops: 1,
        fn: async () => {
          const flat = await redis.zrevrange(article, 0, TOP - 1, 'WITHSCORES')
          const top: { member: number; score: number }[] = []
          for (let index = 0; index + 1 < flat.length; index += 2) {
            top.push({ member: Number(flat[index]), score: Number(flat[index + 1]) })
          }
          return top
        },
      },
      ours: [{ name: `FlipRanking.top(${TOP})`, ops: 1, fn: () => jobs.top('top', TOP) }],
      configs: [
        {
          row: 'article: ZREVRANGE',
          config: `raw ioredis ZREVRANGE WITHSCORES of the top ${TOP} of ${MEMBERS}, parsed into { member, score }`,
        },
        { row: 'FlipRanking.top', config: `FlipRanking.top(${TOP}) of ${MEMBERS} members, memberType 'int'` },
      ],
      async check() {
        const top = await jobs.top('top', TOP)
        if (top.length !== TOP || top[0]?.member !== MEMBERS - 1)
          throw new Error('FlipRanking.top read the wrong top')
      },
    }
  },
}
