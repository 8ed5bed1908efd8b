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

/** The subscription commands ioredis sends again by itself on a subscriber connection ready after a drop. */
const resubscriptions = ['subscribe', 'psubscribe', 'ssubscribe'] as const
type Subscribing = Record<(typeof resubscriptions)[number], (...args: unknown[]) => Promise<unknown>>

/**
 * Gives every subscription command's promise on `connection` (a subscriber connection flipcache
 * owns) a handler of its own. ioredis subscribes such a connection again by itself once it is ready
 * after a drop, and drops the promise of that SUBSCRIBE: closed (`disconnect()`) while the
 * reconnection's ready check is on its way, the connection turns ready with its socket ended, the
 * SUBSCRIBE waits in the offline queue, and the close rejects it with "Connection is closed.", an
 * unhandled rejection no caller can catch. Callers still get the same promise, rejection included.
 */
export function catchResubscriptions(connection: RedisClient): void {
  const methods = connection as unknown as Subscribing
  for (const name of resubscriptions) {
    const send = methods[name].bind(connection)
    methods[name] = (...args) => {
      const sent = send(...args)
      sent.catch(() => {})
      return sent
    }
  }
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

/**
 * Calls `reconnected` each time the client's connection is ready again after a drop; returns the
 * function that stops it. Unlike `watchReconnections` it adds no 'error' listener: the client is
 * the user's, and so are its errors.
 */
export function watchClient(client: RedisClient, reconnected: () => void): () => void {
  let dropped = false
  const closed = (): void => {
    dropped = true
  }
  const ready = (): void => {
    if (!dropped) return
    dropped = false
    reconnected()
  }
  client.on('close', closed)
  client.on('ready', ready)
  return () => {
    client.off('close', closed)
    client.off('ready', ready)
  }
}
