import type { Redis } from 'ioredis'
import type { WriteBehindChange } from '../../src/index.js'
import type { BenchContext } from '../support/context.js'
import type { PatternBench } from './pattern-bench.js'

/** Writes per run: a burst of user updates, then the worker's (or drainer's) pass over them. */
const burst = 50

type User = { name: string; email: string }

const userOf = (id: number, run: number): User => ({ name: `user ${id}`, email: `u${id}.${run}@example.com` })

/**
 * Article 003's write-behind (`SETEX` the value, `LPUSH` the write to `db:write:queue`; a worker
 * `RPOP`s a batch into the database) against flipcache's `set` with `writeBehind` (SET + XADD in one
 * script; `flushNow()` drains the stream to the same in-memory database) and with `writeThrough`
 * (the in-memory database first, then SET). Each run writes `burst` users and drains them.
 */
export const writeBehindBench: PatternBench = {
  pattern: 'write-behind',
  async setup(context: BenchContext, redis: Redis) {
    const articleDb = new Map<string, User>()
    const behindDb = new Map<string, User>()
    const throughDb = new Map<string, User>()
    const queue = context.key('db:write:queue')
    let run = 0

    const behind = context.cache<string, User>('wb', {
      redis,
      expireTime: '1h',
      writeBehind: {
        flush: (changes: WriteBehindChange<string, User>[]) => {
          for (const change of changes) if (change.op === 'set') behindDb.set(change.key, change.value)
        },
        batchSize: burst,
        pollInterval: '1h',
      },
    })
    const through = context.cache<string, User>('wt', {
      redis,
      expireTime: '1h',
      writeThrough: {
        write: (entries) => {
          for (const [key, value] of entries) throughDb.set(key, value)
        },
        delete: (keys) => {
          for (const key of keys) throughDb.delete(key)
        },
      },
    })
    const ids = Array.from({ length: burst }, (_, index) => index)

    return {
      article: {
        name: 'article: SETEX + LPUSH, worker RPOP',
        ops: burst,
        fn: async () => {
          run++
          await Promise.all(
            ids.flatMap((id) => {
              const data = userOf(id, run)
              return [
                redis.setex(context.key('user', id), 3600, JSON.stringify(data)),
                redis.lpush(queue, JSON.stringify({ table: 'users', id, data })),
              ]
            }),
          )
          const popped = (await redis.rpop(queue, burst)) ?? []
          for (const json of popped) {
            const { id, data } = JSON.parse(json) as { id: number; data: User }
            articleDb.set(String(id), data)
          }
        },
      },
      ours: [
        {
          name: 'flipcache set, writeBehind + flushNow',
          ops: burst,
          fn: async () => {
            run++
            await Promise.all(ids.map((id) => behind.set(String(id), userOf(id, run))))
            const left = await behind.flushNow()
            if (left !== 0) throw new Error(`the write-behind queue still holds ${left} entries`)
          },
        },
        {
          name: 'flipcache set, writeThrough (in-memory db)',
          ops: burst,
          fn: async () => {
            run++
            await Promise.all(ids.map((id) => through.set(String(id), userOf(id, run))))
          },
        },
      ],
      configs: [
        {
          row: 'article',
          config: `${burst} concurrent SETEX + LPUSH of a user (JSON), then one RPOP of ${burst} into an in-memory Map (article 003's write-behind; the worker is the bench itself)`,
        },
        {
          row: 'flipcache set, writeBehind',
          config: `${burst} concurrent set() (superjson, expireTime 1h; each SET + XADD in one script), then flushNow(): the lease holder's take script, flush into an in-memory Map, XACK + XDEL, XLEN`,
        },
        {
          row: 'flipcache set, writeThrough',
          config: `${burst} concurrent set() with writeThrough to an in-memory Map, then SET (superjson, expireTime 1h)`,
        },
      ],
      async check() {
        const last = (db: Map<string, User>) => db.get(String(burst - 1))?.name
        for (const [label, db] of [
          ['article', articleDb],
          ['writeBehind', behindDb],
          ['writeThrough', throughDb],
        ] as const) {
          if (db.size !== burst || last(db) !== `user ${burst - 1}`) {
            throw new Error(`${label}: the database holds ${db.size} users, expected ${burst}`)
          }
        }
        if ((await redis.llen(queue)) !== 0) throw new Error("the article's queue was not drained")
      },
    }
  },
}
