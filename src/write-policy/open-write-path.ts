import type { CacheCore } from '../core/cache-core.js'
import type { ReportContext } from '../error-reporter.js'
import type { FlipCacheError } from '../errors.js'
import type { RedisClient } from '../redis/connection.js'
import { isCluster } from '../redis/slot-router.js'
import type { TransportView } from '../redis/transport-view.js'
import type { KeyCodec } from '../types/key-type.js'
import { queuePrefix } from '../write-behind/queue-keys.js'
import { WriteBehind } from '../write-behind/write-behind.js'
import type { WritePolicy } from './write-options.js'
import { cacheOnly, type WritePath } from './write-path.js'
import { WriteThrough } from './write-through.js'

/** What the write path of a cache is built from. */
export interface WritePathParts<K, V> {
  name: string
  policy: WritePolicy<K, V>
  core: CacheCore<V>
  client: RedisClient
  transport: TransportView
  keyPrefix: string
  hashTag: boolean
  redisKey: (key: string) => string
  keys: KeyCodec<K>
  consumer: string
  report: (error: FlipCacheError, context?: ReportContext) => void
}

/** The write path the `writeThrough` / `writeBehind` options ask for. */
export function openWritePath<K, V>(parts: WritePathParts<K, V>): WritePath<K, V> {
  const { policy, core } = parts
  if (policy.kind === 'cache-only') return cacheOnly(core)
  if (policy.kind === 'through') return new WriteThrough(core, policy.source)
  if (isCluster(parts.client) && !parts.hashTag) {
    throw new TypeError(
      `\`writeBehind\` on a Redis Cluster needs \`hashTag: true\` (cache ${JSON.stringify(parts.name)}): each value and its queue entry are written by one script, so they must share a slot`,
    )
  }
  if (parts.keyPrefix.startsWith(queuePrefix)) {
    throw new TypeError(
      `Expected a cache name that does not start with \`${queuePrefix}\` with \`writeBehind\`, got ${JSON.stringify(parts.name)}: its keys would mix with the write-behind queues`,
    )
  }
  return new WriteBehind({ ...parts, settings: policy.settings })
}
