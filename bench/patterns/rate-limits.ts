import type { Redis } from 'ioredis'
import type { RateLimitAlgorithm, RateLimiter as RateLimiterType } from '../../src/index.js'
import type { BenchContext } from '../support/context.js'
import { RateLimiter } from '../support/flipcache.js'
import type { TaskSpec } from '../support/measure.js'
import type { PatternBench, PatternTasks } from './pattern-bench.js'
import { articleAsWritten, articleInMulti } from './rate-limit-article.js'
import { articleBytes, describeBytes, limiterBytes } from './rate-limit-memory.js'

const USERS = 100
/** High enough that every timed hit is allowed: both sides do the same work (a denied hit is cheaper for ours). */
const LIMIT = 10_000
const WINDOW_S = 1
const BURST_LIMIT = 100
const algorithms: RateLimitAlgorithm[] = ['sliding-log', 'sliding-window', 'fixed-window']

const users = Array.from({ length: USERS }, (_, index) => `user-${index}`)

/** How many of `2 × BURST_LIMIT` concurrent hits on a fresh key `hit` admits. */
async function burstAdmits(hit: () => Promise<boolean>): Promise<number> {
  const results = await Promise.all(Array.from({ length: 2 * BURST_LIMIT }, hit))
  return results.filter(Boolean).length
}

/**
 * Article 003's rate limit (sorted set, ZREMRANGEBYSCORE / ZCARD / ZADD / EXPIRE in one MULTI) against
 * RateLimiter.hit for each algorithm: a hit on each of 100 users at once, all allowed. Before the
 * timing, a burst of 200 concurrent hits at a limit of 100 on each side, and the memory of one key
 * at several limits (MEMORY USAGE), for the report.
 */
export const rateLimitBench: PatternBench = {
  pattern: 'rate limits',
  async setup(context: BenchContext, redis: Redis): Promise<PatternTasks> {
    const articleKey = (user: string) => context.key('rate-article', user)
    const limiters = algorithms.map((algorithm) =>
      context.own(
        new RateLimiter(context.key('rate', algorithm), {
          redis,
          algorithm,
          limit: LIMIT,
          window: WINDOW_S * 1000,
        }),
      ),
    )
    const burstWritten = await burstAdmits(() =>
      articleAsWritten(redis, context.key('rate-burst-written'), BURST_LIMIT, 60),
    )
    const burstMulti = await burstAdmits(() =>
      articleInMulti(redis, context.key('rate-burst-multi'), BURST_LIMIT, 60),
    )
    const ours: number[] = []
    for (const algorithm of algorithms) {
      const burst = context.own(
        new RateLimiter(context.key('rate-burst', algorithm), {
          redis,
          algorithm,
          limit: BURST_LIMIT,
          window: 60_000,
        }),
      )
      ours.push(await burstAdmits(async () => (await burst.hit('user')).allowed))
    }
    const memory = [await articleBytes(redis, context.key('rate-memory-article'))]
    for (const algorithm of algorithms)
      memory.push(await limiterBytes(redis, context.key('rate-memory', algorithm), algorithm))
    const hitAll = (limiter: RateLimiterType) => () => Promise.all(users.map((user) => limiter.hit(user)))
    const article: TaskSpec = {
      name: 'article 003: ZREMRANGEBYSCORE/ZCARD/ZADD/EXPIRE in MULTI',
      ops: USERS,
      fn: () => Promise.all(users.map((user) => articleInMulti(redis, articleKey(user), LIMIT, WINDOW_S))),
    }
    const tasks = limiters.map(
      (limiter): TaskSpec => ({
        name: `flipcache RateLimiter.hit, ${limiter.algorithm}`,
        ops: USERS,
        fn: hitAll(limiter),
      }),
    )
    const burst = `${2 * BURST_LIMIT} concurrent hits at a limit of ${BURST_LIMIT} admitted`
    return {
      article,
      ours: tasks,
      configs: [
        {
          row: 'article 003',
          config:
            `one MULTI per hit (member and score: the client's Date.now() / 1000), ${USERS} users at once, ` +
            `max ${LIMIT} per ${WINDOW_S} s. ${burst}: ${burstMulti} in this MULTI form (hits of one millisecond ` +
            `share a member), ${burstWritten} as the article writes it (four awaited calls: every caller passes ZCARD ` +
            `before any ZADD). MEMORY USAGE of one key at limit ${describeBytes(memory[0] ?? [])}`,
        },
        ...algorithms.map((algorithm, index) => ({
          row: `flipcache RateLimiter.hit, ${algorithm}`,
          config:
            `one EVAL per hit, ${USERS} users at once (one pipeline), limit ${LIMIT} per ${WINDOW_S} s. ` +
            `${burst}: ${ours[index]}. MEMORY USAGE of one key at limit ${describeBytes(memory[index + 1] ?? [])}`,
        })),
      ],
      async check() {
        const admitted = ours.map((count, index) => `${algorithms[index]}: ${count}`)
        if (ours.some((count) => count !== BURST_LIMIT)) {
          throw new Error(`RateLimiter admitted other than ${BURST_LIMIT} of a burst: ${admitted.join(', ')}`)
        }
        const held = await redis.zcard(context.key('rate', 'sliding-log', users[0] ?? ''))
        if (held < 1) throw new Error('The sliding-log limiter holds no hit after the timing')
      },
    }
  },
}
