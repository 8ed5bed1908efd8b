/**
 * Attribute and instrument names, inlined so that the subpath needs no semantic-conventions package
 * at runtime. The `db.*`, `server.*` and `error.type` names are OpenTelemetry's (stable database
 * conventions); the `flipcache.*` ones are this package's, where the conventions have nothing.
 */

/** `db.system.name`: always `redis`. */
export const DB_SYSTEM_NAME = 'db.system.name'
/** `db.operation.name`: the flipcache operation (`get`, `getOrSet`, ...), not a Redis command. */
export const DB_OPERATION_NAME = 'db.operation.name'
export const ERROR_TYPE = 'error.type'
export const SERVER_ADDRESS = 'server.address'
export const SERVER_PORT = 'server.port'

export const CACHE = 'flipcache.cache'
/** The key as flipcache encodes it after the namespace: only with `recordKeys: true`. */
export const KEY = 'flipcache.key'
export const KEY_COUNT = 'flipcache.key_count'
export const TIER = 'flipcache.tier'
/** Per-tier key counts of a multi-key read: `flipcache.tiers.l1`, `.l2`, `.loader`, `.miss`. */
export const TIERS_PREFIX = 'flipcache.tiers.'
export const STALE = 'flipcache.stale'
export const LOAD_BACKGROUND = 'flipcache.load.background'
export const INVALIDATION_KIND = 'flipcache.invalidation.kind'
export const LOCK_EVENT = 'flipcache.lock.event'

export const REDIS = 'redis'

/** The instrumentation scope every tracer and meter is named by. */
export const SCOPE = 'flipcache-redis'

/** Metric names. */
export const metricNames = {
  operationDuration: 'db.client.operation.duration',
  hits: 'flipcache.hits',
  misses: 'flipcache.misses',
  loads: 'flipcache.loads',
  loadDuration: 'flipcache.load.duration',
  errors: 'flipcache.errors',
  invalidationsSent: 'flipcache.invalidations.sent',
  invalidationsReceived: 'flipcache.invalidations.received',
  invalidationDelay: 'flipcache.invalidation.delay',
  localSize: 'flipcache.l1.size',
  localEvictions: 'flipcache.l1.evictions',
  breakerOpen: 'flipcache.breaker.open',
  lockEvents: 'flipcache.lock.events',
} as const

/** The bucket boundaries the database conventions advise for `db.client.operation.duration`, in seconds. */
export const durationBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

/**
 * `error.type` of a failure: a `FlipCacheError`'s `code` (`E_REDIS`, `E_DECODE`, ...), else the
 * error's name (`TypeError`), else `_OTHER`, as the conventions ask for anything else.
 */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown }
    if (typeof code === 'string' && code !== '') return code
    if (typeof name === 'string' && name !== '') return name
  }
  return '_OTHER'
}
