import { randomUUID } from 'node:crypto'
import type { RedisClient } from '../redis/connection.js'
import { perClient } from '../redis/per-client.js'
import { isCluster } from '../redis/slot-router.js'
import { transportOf } from '../redis/transport.js'
import { within } from '../within.js'
import { type Confirmation, Heartbeat } from './heartbeat.js'
import { openSubscriber, type SubscriberConnection } from './subscriber-connection.js'

type Listener = (message: string) => void

/** What a listener hears: messages, and reconnections (after which it may have missed some). */
export interface ChannelListener {
  message: Listener
  /** The subscriber connection came back after a drop: messages sent meanwhile were lost. */
  reconnected?: () => void
  /** The subscriber connection dropped: messages sent from now on are lost until `reconnected`. */
  dropped?: () => void
}

/**
 * One subscriber connection per Redis client, shared by every cache that listens on it: the first
 * listener opens it (see subscriber-connection.ts; owned and closed by flipcache), the last one to
 * leave closes it. Channels are subscribed while they have listeners.
 */
export class SubscriberHub {
  readonly #client: RedisClient
  readonly #listeners = new Map<string, Set<ChannelListener>>()
  /** The SUBSCRIBE of each channel, in flight or done. */
  readonly #subscriptions = new Map<string, Promise<void>>()
  #connection: SubscriberConnection | undefined
  readonly #heartbeat: Heartbeat

  constructor(client: RedisClient) {
    this.#client = client
    const id = randomUUID()
    const sharded = isCluster(client)
    this.#heartbeat = new Heartbeat({
      subscribe: (beatChannel) => this.#open().subscribe(beatChannel),
      publish: (beatChannel, timeoutMs) =>
        transportOf(client).command(timeoutMs, sharded ? 'SPUBLISH' : 'PUBLISH', [beatChannel, '1']),
      // On a Cluster, the heartbeat's channel hashes to the slot of the channel it vouches for.
      beatChannelOf: (channel) =>
        sharded ? `{${slotTagOf(channel)}}__flipcache:heartbeat:${id}` : `__flipcache:heartbeat:${id}`,
      now: () => performance.now(),
    })
  }

  /**
   * Tells `confirmation` when `channel` (listened to already) stops being heard, and when it is
   * heard again: see heartbeat.ts. Returns the function that stops it.
   */
  confirm(channel: string, confirmation: Confirmation): () => void {
    return this.#heartbeat.watch(channel, confirmation)
  }

  /** How many channels have listeners now, and how many listeners they have (for diagnostics and tests). */
  get size(): { channels: number; listeners: number } {
    let listeners = 0
    for (const each of this.#listeners.values()) listeners += each.size
    return { channels: this.#listeners.size, listeners }
  }

  /**
   * Calls `listener` with every message on `channel`; resolves (to the function that stops
   * listening) once the subscription is in place, or rejects after `timeoutMs`.
   */
  async listen(channel: string, listener: ChannelListener, timeoutMs: number): Promise<() => void> {
    const connection = this.#open()
    let listeners = this.#listeners.get(channel)
    if (listeners === undefined) {
      listeners = new Set()
      this.#listeners.set(channel, listeners)
    }
    listeners.add(listener)
    const stop = (): void => this.#leave(channel, listener)
    // Every listener of a channel waits for the same SUBSCRIBE; one that failed is tried again.
    let subscribed = this.#subscriptions.get(channel)
    if (subscribed === undefined) {
      subscribed = connection.subscribe(channel).then(() => undefined)
      this.#subscriptions.set(channel, subscribed)
      subscribed.catch(() => {
        if (this.#subscriptions.get(channel) === subscribed) this.#subscriptions.delete(channel)
      })
    }
    try {
      await within(subscribed, timeoutMs, () => {
        throw new Error(`SUBSCRIBE ${channel} did not complete within ${timeoutMs} ms`)
      })
    } catch (error) {
      if (this.#subscriptions.get(channel) === subscribed) this.#subscriptions.delete(channel)
      stop()
      throw error
    }
    return stop
  }

  #open(): SubscriberConnection {
    if (this.#connection !== undefined) return this.#connection
    const connection = openSubscriber(this.#client, {
      message: (channel, message) => {
        if (this.#heartbeat.received(channel)) return
        for (const listener of this.#listeners.get(channel) ?? []) listener.message(message)
      },
      reconnected: () => {
        this.#heartbeat.reconnected()
        for (const listeners of this.#listeners.values()) {
          for (const listener of listeners) listener.reconnected?.()
        }
      },
      dropped: () => {
        for (const listeners of this.#listeners.values()) {
          for (const listener of listeners) listener.dropped?.()
        }
        this.#heartbeat.dropped()
      },
    })
    this.#connection = connection
    return connection
  }

  #leave(channel: string, listener: ChannelListener): void {
    const listeners = this.#listeners.get(channel)
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return
    this.#listeners.delete(channel)
    this.#subscriptions.delete(channel)
    const connection = this.#connection
    if (connection === undefined) return
    if (this.#listeners.size === 0) {
      this.#connection = undefined
      this.#subscriptions.clear()
      this.#heartbeat.stop()
      connection.disconnect()
      return
    }
    connection.unsubscribe(channel).catch(() => {})
  }
}

/** The part of a channel's name that picks its Cluster slot: its hash tag, else the whole name. */
function slotTagOf(channel: string): string {
  const open = channel.indexOf('{')
  const close = open === -1 ? -1 : channel.indexOf('}', open + 1)
  return close > open + 1 ? channel.slice(open + 1, close) : channel
}

/** The hub of `client`, shared by every cache that uses the client. */
export const subscriberHub = perClient((client) => new SubscriberHub(client))
