import type { RedisClient } from '../redis/connection.js'
import { perClient } from '../redis/per-client.js'
import { within } from '../within.js'
import { openSubscriber, type SubscriberConnection } from './subscriber-connection.js'

type Listener = (message: string) => void

/** What a listener hears: messages, and reconnections (after which it may have missed some). */
export interface ChannelListener {
  message: Listener
  /** The subscriber connection came back after a drop: messages sent meanwhile were lost. */
  reconnected?: () => void
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

  constructor(client: RedisClient) {
    this.#client = client
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
        for (const listener of this.#listeners.get(channel) ?? []) listener.message(message)
      },
      reconnected: () => {
        for (const listeners of this.#listeners.values()) {
          for (const listener of listeners) listener.reconnected?.()
        }
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
      connection.disconnect()
      return
    }
    connection.unsubscribe(channel).catch(() => {})
  }
}

/** The hub of `client`, shared by every cache that uses the client. */
export const subscriberHub = perClient((client) => new SubscriberHub(client))
