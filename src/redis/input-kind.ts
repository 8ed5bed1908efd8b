/** What the `redis` option accepts, as its errors say it. */
export const acceptedRedisInputs =
  'an ioredis Redis or Cluster, a redis:// or rediss:// URL, ioredis options (a plain object), or { cluster: [nodes], ...clusterOptions }'

/**
 * What an object given as `redis` is when it is not a plain object (ioredis options) nor an ioredis
 * client, in words for the error that refuses it; `undefined` for a plain object. A node-redis client
 * (`createClient()` / `createCluster()` of the `redis` package) is told apart by its `isOpen` and
 * `sendCommand`, which ioredis clients do not have: taken for options, it would have made flipcache
 * open a connection of its own to localhost, ignoring the URL the client was made for.
 */
export function foreignObjectKind(value: object): string | undefined {
  const candidate = value as Record<string, unknown>
  if ('isOpen' in candidate && typeof candidate.sendCommand === 'function') {
    return 'a node-redis client (createClient() or createCluster() of the `redis` package), which flipcache cannot use: pass an ioredis client (`new Redis(url)` of the `ioredis` package) or the URL'
  }
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype === null || prototype === Object.prototype) return undefined
  if (value instanceof Promise) return 'a promise: pass the client itself, not a promise of it'
  const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name
  return `an instance of ${typeof name === 'string' && name !== '' ? name : 'a class'}, not a plain object of ioredis options`
}

/**
 * ioredis's `keyPrefix` of a client, or of the options (`redisOptions` for a Cluster) flipcache would
 * open one with; `undefined` when there is none.
 */
export function ioredisKeyPrefix(value: object): string | undefined {
  const holder = value as {
    keyPrefix?: unknown
    options?: { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } }
    redisOptions?: { keyPrefix?: unknown }
  }
  const candidates = [
    holder.keyPrefix,
    holder.redisOptions?.keyPrefix,
    holder.options?.keyPrefix,
    holder.options?.redisOptions?.keyPrefix,
  ]
  return candidates.find((prefix): prefix is string => typeof prefix === 'string' && prefix !== '')
}

/**
 * The error for a client or options with a `keyPrefix`: ioredis prefixes the keys of commands (and
 * the KEYS of scripts) but not SCAN patterns, pub/sub channels, or the key slots flipcache routes a
 * Cluster's commands by, so `keys()`, `entries()` and `clear()` would silently find nothing.
 */
export function keyPrefixError(prefix: string): TypeError {
  return new TypeError(
    `Expected \`redis\` without ioredis's \`keyPrefix\`, got one with keyPrefix '${prefix}': ioredis adds it to ` +
      "the keys of commands but not to SCAN patterns or pub/sub channels, so the cache's keys(), entries() and clear() " +
      "would find nothing. Pass a client without keyPrefix: the cache's name is its namespace already (name:key)",
  )
}
