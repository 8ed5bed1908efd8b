import { WriteQueueFullError } from '../errors.js'
import type { TransportView } from '../redis/transport-view.js'
import type { RedisValue } from '../types/value-codec.js'
import { drainGroup, type QueueKeys } from './queue-keys.js'
import {
  deadLetterEntries,
  enqueueDeletes,
  enqueueWrites,
  releaseLease,
  renewLease,
  settleEntries,
  takeBatch,
} from './queue-scripts.js'

/** One queue entry as a drainer took it: its stream id, encoded key, stored value (absent: a delete). */
export interface QueuedEntry {
  id: string
  /** `undefined` for an entry without a key (not written by flipcache): it goes to the dead letters. */
  key: string | undefined
  value: Buffer | undefined
  /** How many times it was handed to a drainer, this time included. */
  deliveries: number
}

/** What one drain step found: not the lease holder, entries to wait for, or a batch (maybe empty). */
export type Taken = { kind: 'not-holder' } | { kind: 'waiting' } | { kind: 'batch'; entries: QueuedEntry[] }

/**
 * A cache's durable write-behind queue in Redis: a stream written with the values (one script per
 * call: SET + XADD, or UNLINK + XADD), drained through a consumer group by the lease holder. Every
 * call is one command that joins the tick's pipeline.
 */
export class WriteQueue {
  readonly keys: QueueKeys
  readonly maxQueued: number
  readonly #transport: TransportView

  constructor(transport: TransportView, keys: QueueKeys, maxQueued: number) {
    this.#transport = transport
    this.keys = keys
    this.maxQueued = maxQueued
  }

  /** Writes `stored[i]` at `redisKeys[i]` and queues it, or throws `E_QUEUE_FULL` having written nothing. */
  async write(
    redisKeys: string[],
    stored: [key: string, value: RedisValue][],
    ttlMs: number | null,
  ): Promise<void> {
    const args = [this.maxQueued, ttlMs ?? '', ...stored.flat()]
    const done = await enqueueWrites.run<number>(this.#transport, this.#withQueue(redisKeys), args)
    if (done < 0) throw new WriteQueueFullError(this.keys.queue, this.maxQueued)
  }

  /** Removes `redisKeys` and queues their deletes; resolves to how many existed, or throws `E_QUEUE_FULL`. */
  async remove(redisKeys: string[], keys: string[]): Promise<number> {
    const args = [this.maxQueued, ...keys]
    const removed = await enqueueDeletes.run<number>(this.#transport, this.#withQueue(redisKeys), args)
    if (removed < 0) throw new WriteQueueFullError(this.keys.queue, this.maxQueued)
    return removed
  }

  /** One drain step of `consumer` (see `takeBatch`). */
  async take(consumer: string, leaseMs: number, claimAfterMs: number, count: number): Promise<Taken> {
    const reply = await this.#transport.command<unknown[]>(
      'EVAL',
      takeBatch.argsFor(
        [this.keys.queue, this.keys.lease],
        [drainGroup, consumer, leaseMs, claimAfterMs, count],
      ),
      'buffer',
    )
    return parseTaken(reply)
  }

  /** Renews `consumer`'s lease; resolves to whether it still holds it. */
  async renew(consumer: string, leaseMs: number): Promise<boolean> {
    return (await renewLease.run<number>(this.#transport, [this.keys.lease], [consumer, leaseMs])) === 1
  }

  /** Gives `consumer`'s lease up. */
  async release(consumer: string): Promise<void> {
    await releaseLease.run(this.#transport, [this.keys.lease], [consumer])
  }

  /** Acknowledges and removes flushed entries. */
  async settle(ids: string[]): Promise<void> {
    if (ids.length > 0) await settleEntries.run(this.#transport, [this.keys.queue], [drainGroup, ...ids])
  }

  /** Moves entries to the dead letters with `reason`. */
  async deadLetter(ids: string[], reason: string): Promise<void> {
    if (ids.length === 0) return
    await deadLetterEntries.run(
      this.#transport,
      [this.keys.queue, this.keys.dead],
      [drainGroup, reason, ...ids],
    )
  }

  /** How many entries the queue holds (waiting or being flushed). */
  length(): Promise<number> {
    return this.#transport.command<number>('XLEN', [this.keys.queue])
  }

  #withQueue(redisKeys: string[]): string[] {
    return [...redisKeys, this.keys.queue, this.keys.dead]
  }
}

/** takeBatch's reply, read as bytes (values stay Buffers; ids and keys become strings). */
function parseTaken(reply: unknown[]): Taken {
  const kind = reply[0]
  if (kind === 0) return { kind: 'not-holder' }
  if (kind === 1) return { kind: 'waiting' }
  if (kind === 2) {
    const deliveries = new Map<string, number>()
    for (const row of reply[2] as [Buffer, Buffer, number, number][]) deliveries.set(String(row[0]), row[3])
    return { kind: 'batch', entries: entriesOf(reply[1], (id) => deliveries.get(id) ?? 1) }
  }
  // XREADGROUP answers nil when nothing is new, else [[stream, entries]].
  const streams = reply[1] as [Buffer, unknown][] | null
  return { kind: 'batch', entries: streams === null ? [] : entriesOf(streams[0]?.[1], () => 1) }
}

function entriesOf(raw: unknown, deliveriesOf: (id: string) => number): QueuedEntry[] {
  const entries: QueuedEntry[] = []
  for (const [rawId, fields] of (raw ?? []) as [Buffer, Buffer[] | null][]) {
    const id = String(rawId)
    let key: string | undefined
    let value: Buffer | undefined
    for (let index = 0; index + 1 < (fields?.length ?? 0); index += 2) {
      const name = String(fields?.[index])
      if (name === 'k') key = String(fields?.[index + 1])
      else if (name === 'v') value = fields?.[index + 1]
    }
    entries.push({ id, key, value, deliveries: deliveriesOf(id) })
  }
  return entries
}
