import QuickLRU from 'quick-lru'
import type { LocalPolicyName } from '../../src/local/local-policy.js'
import { localPolicyNames } from '../../src/local/local-policy.js'
import type { BenchContext } from '../support/context.js'
import { type User, users } from '../support/data.js'
import { type Measured, measure, resultOf, type TaskSpec } from '../support/measure.js'

/** The warm keys each hit row reads, and the L1 they sit in (roomy: every read is a hit). */
export const HIT_KEYS = 1000
export const HIT_LOCAL_MAX = 10_000
export const BARE_ROW = `quick-lru maxSize ${HIT_LOCAL_MAX}`

export function hitRow(policy: LocalPolicyName): string {
  return `flipcache get, localPolicy '${policy}'`
}

/**
 * Sequential awaited `get`s of warm keys through a real FlipCache of each policy (as bench/l1.ts
 * does), and through a bare quick-lru for scale: what one L1 hit costs under each policy.
 */
export async function measureHits(
  context: BenchContext,
): Promise<{ results: Map<string, Measured>; configs: { row: string; config: string }[] }> {
  const entries = users(HIT_KEYS)
  const keys = entries.map(([key]) => key)
  const redis = await context.client()
  let sink = 0
  const bare = new QuickLRU<string, User>({ maxSize: HIT_LOCAL_MAX })
  for (const [key, value] of entries) bare.set(key, value)
  const tasks: TaskSpec[] = [
    {
      name: BARE_ROW,
      ops: HIT_KEYS,
      fn: async () => {
        for (const key of keys) sink += (await bare.get(key))?.id ?? 0
      },
    },
  ]
  const configs = [
    { row: BARE_ROW, config: `a bare quick-lru of maxSize ${HIT_LOCAL_MAX}, each get awaited` },
  ]
  const caches = []
  for (const policy of localPolicyNames) {
    const cache = context.cache<string, User>(`hit-ratio-${policy}`, {
      redis,
      localMax: HIT_LOCAL_MAX,
      localPolicy: policy,
      localTtl: '1h',
    })
    await cache.setMany(entries)
    caches.push(cache)
    tasks.push({
      name: hitRow(policy),
      ops: HIT_KEYS,
      fn: async () => {
        for (const key of keys) sink += (await cache.get(key))?.id ?? 0
      },
    })
    configs.push({
      row: hitRow(policy),
      config: `FlipCache, localMax ${HIT_LOCAL_MAX}, localPolicy '${policy}', localTtl 1 h, default valueType (superjson), sync 'pubsub'`,
    })
  }
  const results = await measure(tasks, context.timing, context.commands)
  for (const cache of caches) {
    const stats = cache.stats()
    if (stats.remoteHits > 0 || stats.misses > 0)
      throw new Error(
        `hit-ratio: a hit row went to Redis (${stats.remoteHits} Redis hits, ${stats.misses} misses)`,
      )
  }
  if (sink <= 0) throw new Error('hit-ratio: the reads returned nothing')
  for (const { name } of tasks) resultOf(results, name)
  return { results, configs }
}
