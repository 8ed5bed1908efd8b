import type { Cluster, Redis } from 'ioredis'
import * as clock from '../clock.js'
import type { RedisClient } from './connection.js'
import { nodeName } from './node-calls.js'
import type { SlotRouter } from './slot-router.js'

/** Whether a server has a feature: known either way, or not known yet (not asked, or its answer is on its way). */
export type Support = 'yes' | 'no' | 'unknown'

/**
 * The commands of per-field expiry in hashes that flipcache uses: Redis 8.0 and Valkey 9.0 have them
 * all (Redis 7.4 has all but the first two, and counts as without).
 */
export const fieldExpiryCommands = ['HSETEX', 'HGETEX', 'HPEXPIRE', 'HPTTL'] as const

/** How long an unanswered probe blocks another one to the same server. */
const probePatienceMs = 5000

/**
 * What each server of one client can do, asked once per connection: `COMMAND INFO` of the commands
 * of hash-field expiry. A single node is asked when the client is ready, and again after every
 * reconnection (which may land on another server: a Sentinel failover, a restart on a new version);
 * until the answer is in, the support is `'unknown'`. On a Cluster each master is asked the first
 * time a key of its slots asks, and again after its connection drops; a slot that moved to a node not
 * asked yet is `'unknown'` until that node answers. Nothing waits for an answer: callers treat
 * `'unknown'` as the safe side (the layout every server reads).
 */
export class ServerFeatures {
  readonly #client: RedisClient
  readonly #router: SlotRouter | undefined
  /** A single node's support, and the generation of its connection (an answer from an older one is dropped). */
  #single: Support = 'unknown'
  #generation = 0
  #singleAskedAt = Number.NEGATIVE_INFINITY
  /** A Cluster's support by master (`host:port`), and when an unanswered probe went out. */
  readonly #nodes = new Map<string, Support>()
  readonly #askedAt = new Map<string, number>()
  readonly #watched = new WeakSet<Redis>()
  /** Callers of `settled`, told when every server known is answered for. */
  readonly #waiters = new Set<() => void>()
  #awaitingCluster = false

  constructor(client: RedisClient, router: SlotRouter | undefined) {
    this.#client = client
    this.#router = router
    if (router !== undefined) return
    client.on('close', () => {
      this.#generation++
      this.#single = 'unknown'
      this.#singleAskedAt = Number.NEGATIVE_INFINITY
    })
    client.on('ready', () => this.#askSingle())
    if (client.status === 'ready') this.#askSingle()
  }

  /** Whether the server that holds `key` expires hash fields (HSETEX, HGETEX, HPEXPIRE, HPTTL). */
  fieldExpiry(key: string): Support {
    const router = this.#router
    if (router === undefined) {
      if (this.#single === 'unknown') this.#askSingle()
      return this.#single
    }
    const node = router.nodeOf(router.slotOf(key))
    if (node === '') return 'unknown'
    const known = this.#nodes.get(node)
    if (known !== undefined) return known
    this.#askNode(node)
    return 'unknown'
  }

  /**
   * Resolves once the servers known now have answered (a Cluster: every master), or after `ms`,
   * whichever comes first; never rejects, and leaves nothing behind once settled.
   */
  settled(ms: number): Promise<void> {
    this.#askAll()
    if (this.#allKnown()) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#waiters.add(done)
    })
  }

  /**
   * A command of field expiry was refused as unknown where it was believed known (a slot moved to
   * an older server between the question and the write): every server is asked again.
   */
  forget(): void {
    this.#generation++
    this.#single = 'unknown'
    this.#singleAskedAt = Number.NEGATIVE_INFINITY
    this.#nodes.clear()
    this.#askedAt.clear()
  }

  #askAll(): void {
    if (this.#router === undefined) {
      this.#askSingle()
      return
    }
    const cluster = this.#client as Cluster
    if (cluster.status !== 'ready') {
      if (this.#awaitingCluster) return
      this.#awaitingCluster = true
      cluster.once('ready', () => {
        this.#awaitingCluster = false
        this.#askAll()
      })
      return
    }
    for (const node of cluster.nodes('master'))
      if (!this.#nodes.has(nodeName(node))) this.#askNode(nodeName(node))
  }

  #allKnown(): boolean {
    if (this.#router === undefined) return this.#single !== 'unknown'
    const masters = (this.#client as Cluster).nodes('master')
    return masters.length > 0 && masters.every((node) => this.#nodes.has(nodeName(node)))
  }

  /** An answer came in: the waiters whose servers are all answered for go on. */
  #answered(): void {
    if (this.#waiters.size === 0 || !this.#allKnown()) return
    for (const waiter of [...this.#waiters]) waiter()
  }

  #askSingle(): void {
    const now = clock.now()
    if (this.#client.status !== 'ready' || now - this.#singleAskedAt < probePatienceMs) return
    this.#singleAskedAt = now
    const generation = this.#generation
    probe(this.#client).then((support) => {
      if (generation !== this.#generation) return
      if (support === 'unknown') this.#singleAskedAt = Number.NEGATIVE_INFINITY
      else this.#single = support
      this.#answered()
    })
  }

  #askNode(name: string): void {
    const now = clock.now()
    if (now - (this.#askedAt.get(name) ?? Number.NEGATIVE_INFINITY) < probePatienceMs) return
    const node = (this.#client as Cluster).nodes('master').find((candidate) => nodeName(candidate) === name)
    if (node === undefined) return
    this.#askedAt.set(name, now)
    if (!this.#watched.has(node)) {
      this.#watched.add(node)
      // The node's connection dropped: what answers on it next may be another server.
      node.on('close', () => {
        this.#nodes.delete(name)
        this.#askedAt.delete(name)
      })
    }
    const generation = this.#generation
    probe(node).then((support) => {
      if (generation !== this.#generation) return
      this.#askedAt.delete(name)
      if (support !== 'unknown') this.#nodes.set(name, support)
      this.#answered()
    })
  }
}

/**
 * Asks one connection whether its server has every command of field expiry: `'no'` when COMMAND
 * INFO names one as unknown, or is refused (an ACL, a managed service): flipcache then keeps to
 * the layout every server reads. `'unknown'` when the connection failed before answering.
 */
async function probe(connection: RedisClient): Promise<Support> {
  try {
    const reply = (await connection.call('COMMAND', 'INFO', ...fieldExpiryCommands)) as unknown[]
    return Array.isArray(reply) && reply.length === fieldExpiryCommands.length && reply.every(Array.isArray)
      ? 'yes'
      : 'no'
  } catch (error) {
    return (error as Error).name === 'ReplyError' ? 'no' : 'unknown'
  }
}
