import { type Cluster, Redis } from 'ioredis'
import { type RedisClient, whenReady } from '../redis/connection.js'
import { catchResubscriptions, duplicateOf, watchReconnections } from '../redis/per-client.js'
import { isCluster, routerFor, type SlotRouter } from '../redis/slot-router.js'

/** The subscriber connection a SubscriberHub listens on. */
export interface SubscriberConnection {
  subscribe(channel: string): Promise<unknown>
  unsubscribe(channel: string): Promise<unknown>
  disconnect(): void
}

export interface SubscriberEvents {
  message: (channel: string, message: string) => void
  /** The connection came back after a drop (or moved to another node): messages sent meanwhile were lost. */
  reconnected: () => void
  /** The connection (or, on a Cluster, one shard's) dropped: nothing is heard until it is back. */
  dropped: () => void
}

/**
 * Opens the subscriber connection of `client`: a `duplicate()` of a single node, which ioredis
 * reconnects and resubscribes; on a Cluster, sharded pub/sub (SSUBSCRIBE on each channel's shard).
 */
export function openSubscriber(client: RedisClient, events: SubscriberEvents): SubscriberConnection {
  if (isCluster(client)) return new ShardSubscriber(client, events)
  // Its own offline queue on, whatever the client's: a SUBSCRIBE sent while it connects must wait.
  const connection = duplicateOf(client, { enableOfflineQueue: true })
  // Closed while it reconnects, its own resubscription must not become an unhandled rejection.
  catchResubscriptions(connection)
  connection.on('message', events.message)
  connection.on('close', events.dropped)
  // ioredis resubscribes by itself after a reconnection; what was published meanwhile is lost.
  watchReconnections(connection, events.reconnected)
  return connection
}

/** How long to wait before subscribing again after a shard's node dropped. */
const retryDelayMs = 100

/**
 * Sharded pub/sub on a Cluster: each channel is SSUBSCRIBEd on the master that owns its slot (SPUBLISH
 * reaches only that shard, where plain PUBLISH crosses the cluster bus to every node: measured ~100x
 * slower to deliver, see docs/cluster.md). One connection per master; when one drops (a failover),
 * its channels are subscribed again wherever the slot table then says, and listeners are told,
 * so that caches drop the L1 copies an unheard message may have made stale.
 */
class ShardSubscriber implements SubscriberConnection {
  readonly #cluster: Cluster
  readonly #events: SubscriberEvents
  /** The connection each channel is subscribed on. */
  readonly #channels = new Map<string, Redis>()
  readonly #connections = new Map<string, Redis>()
  #closed = false

  constructor(cluster: Cluster, events: SubscriberEvents) {
    this.#cluster = cluster
    this.#events = events
  }

  async subscribe(channel: string): Promise<unknown> {
    if (this.#cluster.status !== 'ready') await whenReady(this.#cluster)
    const router = routerFor(this.#cluster) as SlotRouter
    const connection = this.#connectionTo(router.nodeOf(router.slotOf(channel)))
    const reply = await connection.ssubscribe(channel)
    this.#channels.set(channel, connection)
    return reply
  }

  async unsubscribe(channel: string): Promise<unknown> {
    const connection = this.#channels.get(channel)
    this.#channels.delete(channel)
    return connection?.sunsubscribe(channel)
  }

  disconnect(): void {
    this.#closed = true
    for (const connection of this.#connections.values()) connection.disconnect()
    this.#connections.clear()
  }

  #connectionTo(node: string): Redis {
    const existing = this.#connections.get(node)
    if (existing !== undefined) return existing
    const known = this.#cluster.nodes('all').find(({ options }) => `${options.host}:${options.port}` === node)
    const separator = node.lastIndexOf(':')
    const connection = new Redis({
      ...(known?.options ?? this.#cluster.options.redisOptions),
      host: node.slice(0, separator),
      port: Number(node.slice(separator + 1)),
      // A dropped node is left for the one the slot table names next, not waited for.
      retryStrategy: () => null,
      enableOfflineQueue: true,
      lazyConnect: false,
      connectionName: undefined,
    })
    connection.on('error', () => {})
    connection.on('smessage', this.#events.message)
    connection.once('end', () => this.#lost(node, connection))
    this.#connections.set(node, connection)
    return connection
  }

  /** A connection dropped: its channels are subscribed again, where the refreshed slot table says. */
  #lost(node: string, connection: Redis): void {
    if (this.#connections.get(node) === connection) this.#connections.delete(node)
    if (this.#closed) return
    this.#events.dropped()
    const orphans = [...this.#channels].flatMap(([channel, on]) => (on === connection ? [channel] : []))
    if (orphans.length === 0) return
    routerFor(this.#cluster)?.refresh()
    const again = (): void => {
      if (this.#closed) return
      Promise.all(
        orphans
          .filter((channel) => this.#channels.get(channel) === connection)
          .map((channel) => this.subscribe(channel)),
      )
        .then(() => this.#events.reconnected())
        .catch(() => setTimeout(again, retryDelayMs))
    }
    setTimeout(again, retryDelayMs)
  }
}
