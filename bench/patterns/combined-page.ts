import type { Redis } from 'ioredis'
import type { BenchContext } from '../support/context.js'
import type { PatternBench, PatternTasks } from './pattern-bench.js'

/** The jobs one page shows, as article 002's get_cache(user_id=1, job_ids=[...]). */
const jobIds = [1, 2, 3, 4, 5]
const userId = 1
const session = { user: 'ada', roles: ['editor'] }

interface Session {
  user: string
  roles: string[]
}

const articleName = 'article: hand-made pipeline, GET per key'
const remoteName = 'two FlipCaches, one tick, L1 off'
const localName = 'two FlipCaches, one tick, L1 on'

interface Page {
  session: Session | undefined
  views: number[]
}

/**
 * Article 002's "Combine counters and simple cache": a page reads a user's session and the view
 * counts of several jobs. The article builds one pipeline by hand (a GET per key, each class's
 * key format and decoder known to the page); flipcache's caches share their client's transport, so
 * the same reads through two caches made in one tick leave as one pipeline (one MGET).
 */
export const combinedPage: PatternBench = {
  pattern: 'session + counters page',
  async setup(context: BenchContext, redis: Redis): Promise<PatternTasks> {
    const sessionKey = (id: number) => context.key('article', 'sessions', id)
    const viewsKey = (id: number) => context.key('article', 'jobs', id, 'views')
    await redis.set(sessionKey(userId), JSON.stringify(session))
    await redis.mset(jobIds.flatMap((id) => [viewsKey(id), String(id * 10)]))

    const cachesOn = (label: string, localMax: number) => {
      const options = { redis, keyType: 'int', localMax, sync: 'none' } as const
      return {
        sessions: context.cache<number, Session>(`${label}-sessions`, { ...options, valueType: 'json' }),
        views: context.cache<number, number>(`${label}-views`, { ...options, valueType: 'int' }),
      }
    }
    const remote = cachesOn('remote', 0)
    const local = cachesOn('local', 1000)
    for (const { sessions, views } of [remote, local]) {
      await sessions.set(userId, session)
      await views.setMany(jobIds.map((id): [number, number] => [id, id * 10]))
    }

    /** The last page each task read, checked after the timing. */
    const lastPages = new Map<string, Page>()
    const ourPage = async ({ sessions, views }: typeof remote): Promise<Page> => {
      const [found, counts] = await Promise.all([sessions.get(userId), views.getMany(jobIds)])
      return { session: found, views: counts.map((count) => count ?? 0) }
    }
    return {
      article: {
        name: articleName,
        ops: 1,
        fn: async () => {
          const pipeline = redis.pipeline().get(sessionKey(userId))
          for (const id of jobIds) pipeline.get(viewsKey(id))
          const replies = (await pipeline.exec()) ?? []
          const [first, ...rest] = replies.map(([error, value]) => {
            if (error !== null) throw error
            return value as string | null
          })
          lastPages.set(articleName, {
            session: first === null || first === undefined ? undefined : (JSON.parse(first) as Session),
            views: rest.map((count) => (count === null ? 0 : Number(count))),
          })
        },
      },
      ours: [
        { name: remoteName, ops: 1, fn: async () => lastPages.set(remoteName, await ourPage(remote)) },
        { name: localName, ops: 1, fn: async () => lastPages.set(localName, await ourPage(local)) },
      ],
      configs: [
        {
          row: 'article',
          config: `a session GET and ${jobIds.length} view-counter GETs in one hand-built pipeline, decoded by hand`,
        },
        {
          row: 'two FlipCaches',
          config: `sessions.get(1) and views.getMany([${jobIds.join(', ')}]) in one Promise.all, sync 'none'`,
        },
      ],
      async check() {
        const expected: Page = { session, views: jobIds.map((id) => id * 10) }
        for (const name of [articleName, remoteName, localName]) {
          const page = lastPages.get(name)
          if (JSON.stringify(page) !== JSON.stringify(expected)) {
            throw new Error(
              `combined page, ${name}: read ${JSON.stringify(page)}, expected ${JSON.stringify(expected)}`,
            )
          }
        }
      },
    }
  },
}
