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

/** The key of a single node's support. */
const onlyServer = ''

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
  /** Each server's support, by master (`host:port`) on a Cluster, under `onlyServer` for a single node. */
  readonly #known = new Map<string, Support>()
  /**
   * When the last probe to each server not answered for went out. One that failed (a connection
   * error) stays, so that the server is asked again once the patience ran out, not on every call; a
   * server whose connection dropped, or a `forget`, removes it, and the answer of a probe sent
   * before that is dropped (it came over a connection that may have been to another server).
   */
  readonly #probes = new Map<string, { at: number }>()
  readonly #watched = new WeakSet<Redis>()
  /** Callers of `settled`, told when every server known is answered for. */
  readonly #waiters = new Set<() => void>()
  #awaitingCluster = false

  constructor(client: RedisClient, router: SlotRouter | undefined) {
    this.#client = client
    this.#router = router
    if (router !== undefined) return
    client.on('close', () => this.#lost(onlyServer))
    client.on('ready', () => this.#askSingle())
    if (client.status === 'ready') this.#askSingle()
  }

  /** Whether the server that holds `key` expires hash fields (HSETEX, HGETEX, HPEXPIRE, HPTTL). */
  fieldExpiry(key: string): Support {
    const router = this.#router
    if (router === undefined) {
      const known = this.#known.get(onlyServer)
      if (known !== undefined) return known
      this.#askSingle()
      return 'unknown'
    }
    const node = router.nodeOf(router.slotOf(key))
    if (node === '') return 'unknown'
    const known = this.#known.get(node)
    if (known !== undefined) return known
    this.#askNode(node)
    return 'unknown'
  }

  /**
   * Resolves once the servers known now have answered (a Cluster: every master), or after `ms`,
   * whichever comes first; never rejects, and leaves nothing behind once settled.
   */
  settled(ms: number): Promise<void> {
    // A client made with `lazyConnect` waits for a first command, which waits for this answer.
    if (this.#client.status === 'wait') this.#client.connect().catch(() => {})
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
    this.#known.clear()
    this.#probes.clear()
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
      if (!this.#known.has(nodeName(node))) this.#askNode(nodeName(node))
  }

  #allKnown(): boolean {
    if (this.#router === undefined) return this.#known.has(onlyServer)
    const masters = (this.#client as Cluster).nodes('master')
    return masters.length > 0 && masters.every((node) => this.#known.has(nodeName(node)))
  }

  /** An answer came in: the waiters whose servers are all answered for go on. */
  #answered(): void {
    if (this.#waiters.size === 0 || !this.#allKnown()) return
    for (const waiter of [...this.#waiters]) waiter()
  }

  /** The connection to `name` dropped: what answers on it next may be another server. */
  #lost(name: string): void {
    this.#known.delete(name)
    this.#probes.delete(name)
  }

  #askSingle(): void {
    if (this.#client.status === 'ready') this.#ask(onlyServer, this.#client)
  }

  #askNode(name: string): void {
    if (this.#patient(name)) return
    const node = (this.#client as Cluster).nodes('master').find((candidate) => nodeName(candidate) === name)
    if (node === undefined) return
    if (!this.#watched.has(node)) {
      this.#watched.add(node)
      node.on('close', () => this.#lost(name))
    }
    this.#ask(name, node)
  }

  /** Whether a probe to `name` went out less than the patience ago (answered since or not). */
  #patient(name: string): boolean {
    const asked = this.#probes.get(name)
    return asked !== undefined && clock.now() - asked.at < probePatienceMs
  }

  /** Sends `connection` a probe, unless `name` is answered for or a probe to it went out within the patience. */
  #ask(name: string, connection: RedisClient): void {
    if (this.#known.has(name) || this.#patient(name)) return
    // Probes over one connection share a record: a late answer to an earlier one counts as well.
    const asked = this.#probes.get(name) ?? { at: 0 }
    asked.at = clock.now()
    this.#probes.set(name, asked)
    probe(connection).then((support) => {
      // Dropped: the connection closed, or `forget` was called, since it went out.
      if (this.#probes.get(name) !== asked || support === 'unknown') return
      this.#probes.delete(name)
      this.#known.set(name, support)
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
