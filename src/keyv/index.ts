export type { FlipCache } from '../flipcache.js'
