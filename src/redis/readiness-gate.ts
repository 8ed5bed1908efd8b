import { RedisUnavailableError } from '../errors.js'
import type { Batch } from './batch.js'
import { type RedisClient, whenReady } from './connection.js'
import { serverOf } from './server-name.js'

/**
 * Holds batches while the client is not ready (connecting, reconnecting), in flipcache's own queue
 * rather than ioredis's offline queue, and lets them go in order once it is. A caller whose time
 * runs out meanwhile gets a `RedisUnavailableError` and its call is never sent: a write that failed
 * that way is never applied later. A batch whose callers all gave up is dropped, values and all, so
 * an outage does not pile batches up in memory.
 */
export class ReadinessGate {
  readonly #client: RedisClient
  readonly #send: (batch: Batch) => void
  readonly #failed: (error: Error, batch: Batch) => void
  /** Batches held until the connection is ready, oldest first. */
  #waiting: Batch[] = []

  /**
   * `send` takes a batch once the client is ready; `failed` hears of a batch whose time ran out
   * while it waited (a failed round trip, for the circuit breaker).
   */
  constructor(
    client: RedisClient,
    send: (batch: Batch) => void,
    failed: (error: Error, batch: Batch) => void,
  ) {
    this.#client = client
    this.#send = send
    this.#failed = failed
  }

  /**
   * Whether a batch may go now. While earlier batches wait, later ones queue behind them even if
   * the client says ready already: calls leave in the order they were made.
   */
  get open(): boolean {
    return this.#client.status === 'ready' && this.#waiting.length === 0
  }

  hold(batch: Batch): void {
    const status = this.#client.status
    const server = serverOf(this.#client)
    const to = server === undefined ? '' : ` to ${server}`
    batch.route = {
      late: (timeoutMs) =>
        new RedisUnavailableError(
          `Redis is unreachable: the connection${to} was not ready within ${timeoutMs} ms (client status \`${status}\`)`,
          { server },
        ),
      expired: (error) => {
        const index = this.#waiting.indexOf(batch)
        if (index >= 0) this.#waiting.splice(index, 1)
        this.#failed(error, batch)
      },
    }
    this.#waiting.push(batch)
    if (this.#waiting.length === 1) whenReady(this.#client).then(() => this.#release())
  }

  /** The connection is ready: the waiting batches leave, in order, each with what is left of its time. */
  #release(): void {
    const released = this.#waiting
    this.#waiting = []
    for (const batch of released) this.#send(batch)
  }
}
