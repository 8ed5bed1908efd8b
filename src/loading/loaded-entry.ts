import * as clock from '../clock.js'
import type { CacheCore } from '../core/cache-core.js'
import type { ReportContext } from '../error-reporter.js'
import { FlipCacheError } from '../errors.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import type { RedisValue } from '../types/value-codec.js'
import type { ResolvedLoad } from './load-options.js'

/** A loaded value as it is stored: encoded, with its Redis TTL, its freshness and its tags' stamps. */
export interface LoadedEntry {
  encoded: RedisValue
  ttlMs: number | null
  freshUntil: number
  tags: readonly TagStamp[] | undefined
}

/**
 * A loaded value as stored: encoded (throws when it does not fit the value type), TTL
 * `expireTime + grace`, a fresh-until time where grace or refresh-ahead needs one, and `tags`.
 */
export function loadedEntry<V>(
  core: CacheCore<V>,
  encoded: string,
  value: V,
  load: ResolvedLoad,
  tags: readonly TagStamp[] | undefined,
): LoadedEntry {
  const { expireMs, graceMs } = load
  const needsFreshness = expireMs !== null && (graceMs > 0 || load.refreshAhead !== undefined)
  return {
    encoded: core.encode(encoded, value),
    ttlMs: expireMs === null ? null : expireMs + graceMs,
    freshUntil: needsFreshness ? clock.now() + expireMs : Number.POSITIVE_INFINITY,
    tags,
  }
}

/**
 * Stores loaded values in Redis, then L1: one write per TTL, freshness and tags (all in one round
 * trip); when Redis fails, reports it and keeps them in L1 alone. Never rejects.
 */
export async function storeLoaded<V>(
  core: CacheCore<V>,
  loaded: readonly [key: string, entry: LoadedEntry][],
  report: (error: FlipCacheError, context?: ReportContext) => void,
): Promise<void> {
  const groups = new Map<string, { entry: LoadedEntry; items: [key: string, encoded: RedisValue][] }>()
  for (const [key, entry] of loaded) {
    const name = `${entry.ttlMs}/${entry.freshUntil}/${entry.tags === undefined ? '' : JSON.stringify(entry.tags)}`
    const group = groups.get(name) ?? { entry, items: [] }
    groups.set(name, group)
    group.items.push([key, entry.encoded])
  }
  await Promise.all(
    [...groups.values()].map(async ({ entry, items }) => {
      try {
        await core.write(items, entry.ttlMs, entry.freshUntil, undefined, entry.tags)
      } catch (error) {
        if (error instanceof FlipCacheError) {
          const [only] = items
          report(
            error,
            items.length === 1 && only !== undefined
              ? { operation: 'store', key: core.redisKey(only[0]) }
              : { operation: 'store', keyCount: items.length },
          )
        }
        for (const [key, encoded] of items)
          core.keepLocally(key, encoded, entry.ttlMs, entry.freshUntil, entry.tags)
      }
    }),
  )
}

/** Keeps loaded values in L1 alone (Redis failed to take them, or has not acknowledged them yet). */
export function keepLoaded<V>(
  core: CacheCore<V>,
  loaded: readonly [key: string, entry: LoadedEntry][],
): void {
  for (const [key, entry] of loaded)
    core.keepLocally(key, entry.encoded, entry.ttlMs, entry.freshUntil, entry.tags)
}

/** What `stampsFor` yields when the tags' counts cannot be read: the value is served, not stored. */
export const UNSTAMPED: unique symbol = Symbol('flipcache.unstamped')

/**
 * Stamps for a loaded value's `tags` (`undefined` without tags); `UNSTAMPED`, with the failure
 * reported, when Redis cannot give their counts: a value stored without them could outlive an
 * invalidation, and one stored with guessed counts could be lost to the next read, so the callers
 * get it and nothing keeps it (as when Redis fails, the loader still answers).
 */
export async function stampsFor<V>(
  core: CacheCore<V>,
  tags: readonly string[] | undefined,
  report: (error: FlipCacheError, context?: ReportContext) => void,
): Promise<TagStamp[] | undefined | typeof UNSTAMPED> {
  if (tags === undefined || tags.length === 0) return undefined
  try {
    return await core.stampsOf(tags)
  } catch (error) {
    if (error instanceof FlipCacheError) report(error, { operation: 'tagStamps' })
    return UNSTAMPED
  }
}
