import { bentocache } from './bentocache.js'
import { cacheManager } from './cache-manager.js'
import { cacheable } from './cacheable.js'
import type { PeerFactory } from './peer.js'

export type { PeerCache, PeerFactory, PeerOptions, PeerTier } from './peer.js'
export { bentocache, cacheable, cacheManager }

/** The peer libraries the benchmark compares flipcache with. */
export const peers: readonly PeerFactory[] = [bentocache, cacheable, cacheManager]
