import calculateSlot from 'cluster-key-slot'
import type { Cluster, Redis } from 'ioredis'
import * as clock from '../clock.js'
import type { RedisClient } from './connection.js'

/** The least time between two slot-table refreshes flipcache asks of one client. */
const minRefreshGapMs = 100

/**
 * Where keys live on a Redis Cluster: a key's slot (CRC16 of its hash tag, as Redis computes it),
 * and the master that serves a slot, from the Cluster client's own slot table. The batcher uses it
 * to keep every command within one slot and every pipeline within one node.
 */
export class SlotRouter {
  readonly #cluster: Cluster
  #refreshedAt = 0

  constructor(cluster: Cluster) {
    this.#cluster = cluster
  }

  slotOf(key: string | Buffer): number {
    return calculateSlot(key)
  }

  /** The master serving `slot`, as `host:port`; '' while the slot table does not say (ioredis then routes it). */
  nodeOf(slot: number): string {
    return this.#cluster.slots[slot]?.[0] ?? ''
  }

  /**
   * The nodes serving `slot` (its master, then its replicas), as the client's slot table lists them:
   * ioredis runs a Cluster pipeline only when every key of it maps to the same list, and a MOVED
   * reply rewrites one slot's list alone (to its new master), so two slots of one master can differ
   * until the table is read again. '' while the table does not say.
   */
  groupOf(slot: number): string {
    return this.#cluster.slots[slot]?.join(';') ?? ''
  }

  /**
   * Asks the client to read the slot table again: a master stopped answering, or answered MOVED.
   * At most one every `minRefreshGapMs`, however many calls fail meanwhile.
   */
  refresh(): void {
    const now = clock.now()
    if (now - this.#refreshedAt < minRefreshGapMs) return
    this.#refreshedAt = now
    this.#cluster.refreshSlotsCache()
  }

  /** The masters the client knows now: what a namespace scan must visit. */
  masters(): Redis[] {
    return this.#cluster.nodes('master')
  }
}

/** Whether `client` is an ioredis Cluster (duck-typed: `isCluster` is set by every Cluster). */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true
}

const routers = new WeakMap<Cluster, SlotRouter>()

/** The router of a Cluster client, shared by the caches on it; `undefined` for a single node, where none is needed. */
export function routerFor(client: RedisClient): SlotRouter | undefined {
  if (!isCluster(client)) return undefined
  let router = routers.get(client)
  if (router === undefined) {
    router = new SlotRouter(client)
    routers.set(client, router)
  }
  return router
}

/**
 * The key that decides where a command goes (its first key), or `undefined` for a command without
 * keys, which any node may run. Covers the commands flipcache sends.
 */
export function routingKey(
  name: string,
  args: readonly (string | Buffer | number)[],
): string | Buffer | undefined {
  switch (name) {
    case 'PUBLISH':
    case 'SCAN':
    case 'CONFIG':
    case 'PING':
      return undefined
    case 'EVAL':
    case 'EVALSHA':
      return Number(args[1]) > 0 ? asKey(args[2]) : undefined
    default:
      return asKey(args[0])
  }
}

function asKey(arg: string | Buffer | number | undefined): string | Buffer | undefined {
  return typeof arg === 'number' ? String(arg) : arg
}
