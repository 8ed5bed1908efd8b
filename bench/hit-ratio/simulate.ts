import QuickLRU from 'quick-lru'
import type { LocalPolicy, LocalPolicyName, PolicyBounds } from '../../src/local/local-policy.js'
import { LruPolicy } from '../../src/local/lru-policy.js'
import { S3FifoPolicy } from '../../src/local/s3fifo-policy.js'
import { TinyLfuPolicy } from '../../src/local/tinylfu-policy.js'
import type { Trace } from './traces.js'

/** What is simulated: flipcache's policies, and a bare quick-lru (today's L1) as the baseline. */
export type Simulated = LocalPolicyName | 'quick-lru'

export const simulated: readonly Simulated[] = ['quick-lru', 'lru', 'tinylfu', 's3fifo']

/**
 * The share of `trace`'s reads that find their key held by a cache of `capacity` entries driven
 * as L1 is: a read that misses fills the key. quick-lru is driven the same way, with `maxSize`
 * `capacity` (its two generations may hold up to twice as many).
 */
export function hitRatio(kind: Simulated, capacity: number, trace: Trace): number {
  const names = keyNames(trace)
  const { keys } = trace
  let hits = 0
  if (kind === 'quick-lru') {
    const lru = new QuickLRU<string, number>({ maxSize: capacity })
    for (let index = 0; index < keys.length; index++) {
      const key = names[keys[index] as number] as string
      if (lru.get(key) === undefined) lru.set(key, index)
      else hits++
    }
    return hits / keys.length
  }
  const policy = policyOf<number>(kind, {
    maxEntries: capacity,
    maxBytes: Number.POSITIVE_INFINITY,
    onEvict: undefined,
  })
  for (let index = 0; index < keys.length; index++) {
    const key = names[keys[index] as number] as string
    if (policy.get(key) === undefined) policy.set(key, index, 1)
    else hits++
    if (policy.size > capacity)
      throw new Error(`hit-ratio: ${kind} holds ${policy.size} entries, past ${capacity}`)
  }
  return hits / keys.length
}

function policyOf<E>(kind: LocalPolicyName, bounds: PolicyBounds): LocalPolicy<E> {
  if (kind === 'tinylfu') return new TinyLfuPolicy(bounds)
  if (kind === 's3fifo') return new S3FifoPolicy(bounds)
  return new LruPolicy(bounds)
}

const namesCache = new WeakMap<Trace, string[]>()

/** The key strings of a trace's key numbers (made once per trace). */
function keyNames(trace: Trace): string[] {
  const cached = namesCache.get(trace)
  if (cached !== undefined) return cached
  let largest = 0
  for (const key of trace.keys) if (key > largest) largest = key
  const names = Array.from({ length: largest + 1 }, (_, key) => `user:${key}`)
  namesCache.set(trace, names)
  return names
}
