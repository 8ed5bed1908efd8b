import type { RedisClient } from './connection.js'
import { isCluster } from './slot-router.js'

/**
 * The server a client talks to, as reports name it: `host:port` (or the socket path) of a single
 * connection; `undefined` for a Cluster, whose errors name the node a command went to themselves.
 */
export function serverOf(client: RedisClient): string | undefined {
  if (isCluster(client)) return undefined
  const { host, port, path } = client.options as { host?: string; port?: number; path?: string }
  if (typeof path === 'string' && path !== '') return path
  return `${host ?? 'localhost'}:${port ?? 6379}`
}
