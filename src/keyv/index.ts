export type { FlipCache } from '../flipcache.js'
export {
  createKeyvStore,
  FlipCacheKeyvStore,
  type FlipCacheKeyvStoreEvents,
  type FlipCacheKeyvStoreOptions,
} from './keyv-store.js'
