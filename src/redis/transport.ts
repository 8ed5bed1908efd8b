import type { Redis } from 'ioredis'
import * as clock from '../clock.js'
import { RedisUnavailableError } from '../errors.js'
import { Batch } from './batch.js'
import { Breakers } from './breakers.js'
import type { Call } from './caller.js'
import { type RedisClient, whenReady } from './connection.js'
import { Deadlines } from './deadlines.js'
import { Dispatch } from './dispatch.js'
import { callOnNode, mastersOf, nodeName } from './node-calls.js'
import { perClient } from './per-client.js'
import { ReadinessGate } from './readiness-gate.js'
import { ServerFeatures } from './server-features.js'
import { serverOf } from './server-name.js'
import { routerFor, type SlotRouter } from './slot-router.js'
import { type Arg, failAll, type ReadReply, type ReplyMode } from './steps.js'
import { TickQueue } from './tick-queue.js'
import { TransportView } from './transport-view.js'

/**
 * How flipcache talks to one Redis client, shared by every cache on it: the calls of one tick,
 * whatever cache made them, leave as one pipeline (one round trip; on a Cluster one per master),
 * whatever the client's own `enableAutoPipelining`, adjacent reads merged into one `MGET`. Each call
 * carries its cache's `timeout`. Calls flow down (queue, readiness gate, dispatch, client) and
 * replies flow back to their callers; nothing here calls up into a cache.
 */
export class Transport {
  /** Set on a Cluster: where each slot lives. */
  readonly router: SlotRouter | undefined
  /** The client's circuit breakers (one per Cluster master), shared by its caches. */
  readonly breakers = new Breakers()
  readonly #client: RedisClient
  readonly #deadlines = new Deadlines()
  readonly #queue = new TickQueue((calls) => this.#flush(calls))
  readonly #gate: ReadinessGate
  readonly #dispatch: Dispatch
  #watchingReconnect = false
  #features: ServerFeatures | undefined

  constructor(client: RedisClient) {
    this.#client = client
    this.router = routerFor(client)
    this.#dispatch = new Dispatch(client, this.router, this.breakers)
    this.#gate = new ReadinessGate(
      client,
      (batch) => this.#dispatch.send(batch),
      (error, batch) => this.#unsent(error, batch.probe),
    )
  }

  /** What each server of the client can do; asked of the servers from the first time a cache wants to know. */
  get features(): ServerFeatures {
    this.#features ??= new ServerFeatures(this.#client, this.router)
    return this.#features
  }

  /** A cache's view: the same calls, each bounded by `timeoutMs`. */
  for(timeoutMs: number): TransportView {
    return new TransportView(this, timeoutMs)
  }

  command<T>(timeoutMs: number, name: string, args: Arg[], reply: ReplyMode = 'string'): Promise<T> {
    return this.#queue.command<T>(timeoutMs, name, args, reply)
  }

  /** Reads `keys` (merged with the other reads of this tick into one `MGET`), with their PTTLs when `withTtl`. */
  read(timeoutMs: number, keys: string[], reply: ReplyMode, withTtl: boolean): Promise<ReadReply> {
    return this.#queue.read(timeoutMs, keys, reply, withTtl)
  }

  /** One command for every call of this tick with the same `key`, sent last (see `TickQueue.coalesce`). */
  coalesce(
    timeoutMs: number,
    key: string,
    name: string,
    build: (items: string[]) => Arg[],
    items: Iterable<string>,
  ): Promise<unknown> {
    return this.#queue.coalesce(timeoutMs, key, name, build, items)
  }

  /** The masters a namespace scan visits on a Cluster; `undefined` for a single node. */
  masters(timeoutMs: number): Promise<Redis[] | undefined> {
    return mastersOf(this.#client, this.router, timeoutMs)
  }

  /** One command on one Cluster master (a SCAN), bounded by `timeoutMs` and counted by its breaker. */
  onNode<T>(timeoutMs: number, node: Redis, name: string, args: Arg[]): Promise<T> {
    return callOnNode<T>(node, name, args, timeoutMs, this.breakers.of(nodeName(node)))
  }

  /** The tick is over: its calls fail at once (breaker open, client closed), wait for the connection, or leave. */
  #flush(calls: Call[]): void {
    const breaker = this.router === undefined ? this.breakers.of() : undefined
    const now = clock.now()
    const admission = breaker?.admit(now) ?? 'send'
    if (breaker !== undefined && admission === 'refuse') {
      failAll(
        calls,
        new RedisUnavailableError(
          `Redis is marked down after repeated failures; the next probe is in ${breaker.probeIn(now)} ms`,
          { server: serverOf(this.#client) },
        ),
      )
      return
    }
    if (this.#client.status === 'end') {
      const error = new RedisUnavailableError('The Redis connection is closed (client status `end`)', {
        server: serverOf(this.#client),
      })
      failAll(calls, error)
      this.#unsent(error, admission === 'probe')
      return
    }
    const batch = new Batch(calls, this.#deadlines)
    batch.probe = admission === 'probe'
    if (this.#gate.open) this.#dispatch.send(batch)
    else this.#gate.hold(batch)
  }

  /**
   * A batch failed without being sent (the connection was not ready in time, or is closed): a failed
   * round trip for a single node's breaker. A reconnection then lets the next round trip probe at
   * once instead of waiting out the cooldown.
   */
  #unsent(error: Error, probe: boolean): void {
    if (this.router !== undefined) return
    const breaker = this.breakers.of()
    if (breaker === undefined) return
    breaker.failed(error, clock.now(), probe)
    if (!breaker.down || this.#watchingReconnect) return
    this.#watchingReconnect = true
    whenReady(this.#client).then(() => {
      this.#watchingReconnect = false
      breaker.reconnected()
    })
  }
}

/** The transport of `client`, made on first use and shared by every cache on the client. */
export const transportOf = perClient((client) => new Transport(client))
