import type { CacheCoreConfig } from '../../src/core/cache-core.js'
import { StatsCounter } from '../../src/stats.js'
import { ManualTags } from './manual-tags.js'

/**
 * A core's config for unit tests over a manual store: nothing announced or reported, no sliding
 * expiry, tags in memory (`ManualTags`), unless the test gives its own.
 */
export function manualCoreConfig<V>(
  parts: Pick<CacheCoreConfig<V>, 'store' | 'state' | 'entries'> & Partial<CacheCoreConfig<V>>,
): CacheCoreConfig<V> {
  return {
    stats: new StatsCounter(),
    valueDefault: undefined,
    slidingMs: null,
    announce: () => {},
    announceCleared: async () => {},
    tagKeys: new ManualTags(),
    announceTags: async () => {},
    report: () => {},
    ...parts,
  }
}
