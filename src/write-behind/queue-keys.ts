/** What every write-behind key of a cache starts with, before the cache's key prefix. */
export const queuePrefix = '_wb:'

/** The consumer group of every drainer of a queue. */
export const drainGroup = 'drainers'

/**
 * The Redis keys of a cache's write-behind queue, outside its namespace (so that keys(), entries()
 * and clear() never see them) yet in its slot on a Cluster (`_wb:{name}:...` with `hashTag`):
 * the queue stream, the dead-letter stream, and the lease of the one instance draining now.
 */
export interface QueueKeys {
  queue: string
  dead: string
  lease: string
}

/** The queue keys of the cache whose keys start with `keyPrefix` (`name:` or `{name}:`). */
export function queueKeysOf(keyPrefix: string): QueueKeys {
  return {
    queue: `${queuePrefix}${keyPrefix}queue`,
    dead: `${queuePrefix}${keyPrefix}dead`,
    lease: `${queuePrefix}${keyPrefix}lease`,
  }
}
