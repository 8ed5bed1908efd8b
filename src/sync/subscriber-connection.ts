import { type Cluster, Redis } from 'ioredis'
import { type RedisClient, whenReady } from '../remote/connection.js'
import { duplicateOf, watchReconnections } from '../remote/per-client.js'
import { isCluster } from '../remote/slot-router.js'

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
}

/**
 * Opens the subscriber connection of `client`: a `duplicate()` of a single node, which ioredis
 * reconnects and resubscribes; on a Cluster, a connection of its own to one node (plain PUBLISH
 * reaches every node of a cluster), moved to another node when it drops.
 */
export function openSubscriber(client: RedisClient, events: SubscriberEvents): SubscriberConnection {
  if (isCluster(client)) return new NodeSubscriber(client, events)
  // Its own offline queue on, whatever the client's: a SUBSCRIBE sent while it connects must wait.
  const connection = duplicateOf(client, { enableOfflineQueue: true })
  connection.on('message', events.message)
  // ioredis resubscribes by itself after a reconnection; what was published meanwhile is lost.
  watchReconnections(connection, events.reconnected)
  return connection
}

/** How long to wait before trying another node after the subscriber's node dropped. */
const retryDelayMs = 100

/**
 * A subscriber on one node of a Cluster, picked at random. ioredis's own Cluster subscriber also
 * hops to another node when its node fails, but says nothing when it does; this one tells its
 * listeners, so that caches drop the L1 copies an unheard message may have made stale.
 */
class NodeSubscriber implements SubscriberConnection {
  readonly #cluster: Cluster
  readonly #events: SubscriberEvents
  readonly #channels = new Set<string>()
  #connection: Promise<Redis>
  #closed = false

  constructor(cluster: Cluster, events: SubscriberEvents) {
    this.#cluster = cluster
    this.#events = events
    this.#connection = this.#open(false)
  }

  async subscribe(channel: string): Promise<unknown> {
    this.#channels.add(channel)
    return (await this.#connection).subscribe(channel)
  }

  async unsubscribe(channel: string): Promise<unknown> {
    this.#channels.delete(channel)
    return (await this.#connection).unsubscribe(channel)
  }

  disconnect(): void {
    this.#closed = true
    this.#connection.then((connection) => connection.disconnect()).catch(() => {})
  }

  async #open(again: boolean): Promise<Redis> {
    if (this.#cluster.status !== 'ready') await whenReady(this.#cluster)
    const nodes = this.#cluster.nodes('all')
    const node = nodes[Math.floor(Math.random() * nodes.length)]
    if (node === undefined) throw new Error('The cluster client knows no node to subscribe on')
    const { host, port, username, password, tls, protocol } = node.options
    const connection = new Redis({
      host,
      port,
      username,
      password,
      tls,
      protocol,
      // A dropped node is left for another one, not waited for.
      retryStrategy: () => null,
      enableOfflineQueue: true,
    })
    connection.on('error', () => {})
    connection.on('message', this.#events.message)
    connection.once('end', () => {
      if (this.#closed) return
      this.#connection = new Promise((resolve) => setTimeout(resolve, retryDelayMs)).then(() =>
        this.#open(true),
      )
      this.#connection.catch(() => {})
    })
    if (this.#channels.size > 0) await connection.subscribe(...this.#channels).catch(() => {})
    if (again) this.#events.reconnected()
    if (this.#closed) connection.disconnect()
    return connection
  }
}
