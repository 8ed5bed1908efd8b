import type { Redis } from 'ioredis'
import type { ServerFeatures } from './server-features.js'
import type { SlotRouter } from './slot-router.js'
import type { Arg, ReadReply, ReplyMode } from './steps.js'
import type { Transport } from './transport.js'

export type { Arg, ReadReply, ReplyMode } from './steps.js'

/**
 * One cache's view of its client's transport: the same calls, each bounded by the cache's own
 * `timeout`, so that the stores, the sync bus and the locks call Redis without knowing what else
 * shares the pipeline.
 */
export class TransportView {
  readonly timeoutMs: number
  readonly #transport: Transport

  constructor(transport: Transport, timeoutMs: number) {
    this.#transport = transport
    this.timeoutMs = timeoutMs
  }

  /** Set on a Cluster: where each slot lives. */
  get router(): SlotRouter | undefined {
    return this.#transport.router
  }

  /** What the servers of the client can do (see server-features.ts). */
  get features(): ServerFeatures {
    return this.#transport.features
  }

  command<T>(name: string, args: Arg[], reply: ReplyMode = 'string'): Promise<T> {
    return this.#transport.command<T>(this.timeoutMs, name, args, reply)
  }

  /** Reads `keys` (merged with the other reads of this tick into one `MGET`), with their PTTLs when `withTtl`. */
  read(keys: string[], reply: ReplyMode, withTtl: boolean): Promise<ReadReply> {
    return this.#transport.read(this.timeoutMs, keys, reply, withTtl)
  }

  /**
   * One command for every call of this tick with the same `key` (from any cache on the client):
   * `build(items)` makes its arguments from every call's items, and it is sent last in the tick's
   * pipeline (a notice rides after the writes it tells of). `build` is pure.
   */
  coalesce(
    key: string,
    name: string,
    build: (items: string[]) => Arg[],
    items: Iterable<string>,
  ): Promise<unknown> {
    return this.#transport.coalesce(this.timeoutMs, key, name, build, items)
  }

  /** The masters a namespace scan visits on a Cluster (waiting at most `timeout` for it); `undefined` for a single node. */
  masters(): Promise<Redis[] | undefined> {
    return this.#transport.masters(this.timeoutMs)
  }

  /** One command on one Cluster master (a SCAN), bounded by `timeout` and counted by its breaker. */
  onNode<T>(node: Redis, name: string, args: Arg[]): Promise<T> {
    return this.#transport.onNode<T>(this.timeoutMs, node, name, args)
  }
}
