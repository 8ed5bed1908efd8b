import type { Redis } from 'ioredis'
import type { RedisClient } from './connection.js'
import { isCluster } from './slot-router.js'

/** `create(client)` made once per client and shared by every cache that uses the client. */
export function perClient<T>(create: (client: RedisClient) => T): (client: RedisClient) => T {
  const made = new WeakMap<RedisClient, T>()
  return (client) => {
    let value = made.get(client)
    if (value === undefined) {
      value = create(client)
      made.set(client, value)
    }
    return value
  }
}

/** A connection flipcache opened with `duplicate()`: a Cluster takes startup nodes first, then its overrides. */
export function duplicateOf(client: RedisClient, override?: object): RedisClient {
  if (isCluster(client)) return client.duplicate([], override)
  return (client as Redis).duplicate(override)
}

/**
 * Calls `reconnected` each time `connection` is ready again after a drop. Its own errors are not
 * news to anyone (it reconnects by itself), so they are listened to, and left there.
 */
export function watchReconnections(connection: RedisClient, reconnected: () => void): void {
  connection.on('error', () => {})
  let dropped = false
  connection.on('close', () => {
    dropped = true
  })
  connection.on('ready', () => {
    if (!dropped) return
    dropped = false
    reconnected()
  })
}
