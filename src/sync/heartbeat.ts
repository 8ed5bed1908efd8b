/** A listener that wants proof, at least every `boundMs`, that its channel is still heard. */
export interface Confirmation {
  /** The longest it may go without proof. */
  readonly boundMs: number
  /** No proof for `boundMs`, or the subscriber connection dropped. */
  unheard(): void
  /** Proof: a heartbeat came back (called for every one, about once per half bound). */
  heard(): void
}

/** What the heartbeat needs from its hub. */
export interface HeartbeatLink {
  /** Subscribes the heartbeat channel on the same subscriber connection as `channel`. */
  subscribe(beatChannel: string): Promise<unknown>
  /** Publishes one heartbeat (bounded by `timeoutMs`); its failure only means it will not be heard. */
  publish(beatChannel: string, timeoutMs: number): Promise<unknown>
  /** The heartbeat channel that travels the same way as `channel` (on a Cluster, its slot's shard). */
  beatChannelOf(channel: string): string
  /** A monotonic clock, in ms. */
  now(): number
}

interface Beat {
  subscribed: Promise<unknown> | undefined
  /** When this channel was last heard (or, before the first heartbeat, when it was set up). */
  heardAt: number
}

interface Watched {
  readonly confirmation: Confirmation
  readonly beat: string
  unheard: boolean
}

/**
 * Proves to the listeners of a subscriber connection that it still hears Redis, whatever the
 * network does (a silent partition sends no FIN and no RST, and TCP keepalive takes minutes): every
 * half of the shortest bound, the client publishes a heartbeat on a channel of its own, subscribed
 * on the same connection, and notes when it comes back. A listener not proven for its bound (less
 * one check period, so that the bound holds) is told `unheard`; every heartbeat heard tells it
 * `heard` (so that a listener that went deaf for another reason, a dropped connection, learns
 * when it hears again). One PUBLISH per interval per client (on a Cluster, per shard of the listened channels);
 * nobody else hears it.
 */
export class Heartbeat {
  readonly #link: HeartbeatLink
  readonly #beats = new Map<string, Beat>()
  readonly #watched = new Set<Watched>()
  #timer: NodeJS.Timeout | undefined
  #periodMs = 0
  #lastSentAt = Number.NEGATIVE_INFINITY
  #lastCheckAt = Number.NEGATIVE_INFINITY

  constructor(link: HeartbeatLink) {
    this.#link = link
  }

  /** Watches `channel` for `confirmation`, from now (the subscription just proved it); returns the stop. */
  watch(channel: string, confirmation: Confirmation): () => void {
    const beatChannel = this.#link.beatChannelOf(channel)
    const first = !this.#beats.has(beatChannel)
    if (first) this.#beats.set(beatChannel, { subscribed: undefined, heardAt: this.#link.now() })
    const watched: Watched = { confirmation, beat: beatChannel, unheard: false }
    this.#watched.add(watched)
    this.#reschedule()
    // A new heartbeat channel is subscribed (and proven) at once.
    if (first) this.#send(true)
    return () => {
      this.#watched.delete(watched)
      if (![...this.#watched].some((other) => other.beat === beatChannel)) this.#beats.delete(beatChannel)
      this.#reschedule()
    }
  }

  /** Whether a message on `channel` was a heartbeat (which then goes no further). */
  received(channel: string): boolean {
    const beat = this.#beats.get(channel)
    if (beat === undefined) return false
    beat.heardAt = this.#link.now()
    for (const watched of this.#watched) {
      if (watched.beat !== channel) continue
      watched.unheard = false
      watched.confirmation.heard()
    }
    return true
  }

  /**
   * The subscriber connection dropped: its listeners learn it from the hub; here, the bound keeps
   * counting from the last heartbeat heard, and a subscription still on its way is asked again.
   */
  dropped(): void {
    for (const beat of this.#beats.values()) beat.subscribed = undefined
  }

  /** The connection is back: a heartbeat goes at once, so that listeners hear again soon. */
  reconnected(): void {
    this.#send(true)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#watched.clear()
    this.#beats.clear()
  }

  #shortestBoundMs(): number {
    return Math.min(...[...this.#watched].map((watched) => watched.confirmation.boundMs))
  }

  #reschedule(): void {
    const shortest = this.#shortestBoundMs()
    const periodMs = Number.isFinite(shortest) ? Math.max(10, Math.floor(shortest / 8)) : 0
    if (periodMs === this.#periodMs) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#periodMs = periodMs
    this.#lastCheckAt = this.#link.now()
    if (periodMs > 0) this.#timer = setInterval(() => this.#check(), periodMs).unref()
  }

  #check(): void {
    const now = this.#link.now()
    const stalled = now - this.#lastCheckAt > this.#periodMs * 3
    this.#lastCheckAt = now
    if (stalled) {
      // This check comes late: the event loop was blocked (a long synchronous task, a loop of
      // promises that never yields), so no heartbeat could be sent, and one that came back may
      // still wait in the socket. That proves nothing either way: a heartbeat goes now, and has
      // half the shortest bound to come back.
      const grace = now - this.#shortestBoundMs() / 2
      for (const beat of this.#beats.values()) beat.heardAt = Math.max(beat.heardAt, grace)
      this.#send(true)
      return
    }
    this.#send(false)
    for (const watched of this.#watched) {
      const beat = this.#beats.get(watched.beat)
      if (beat !== undefined && now - beat.heardAt > watched.confirmation.boundMs - this.#periodMs) {
        this.#lose(watched)
      }
    }
  }

  #lose(watched: Watched): void {
    if (watched.unheard) return
    watched.unheard = true
    watched.confirmation.unheard()
  }

  /** A heartbeat on every channel, when half the shortest bound has passed since the last (or `now`). */
  #send(now: boolean): void {
    const intervalMs = this.#periodMs * 4
    const at = this.#link.now()
    if (intervalMs === 0 || (!now && at - this.#lastSentAt < intervalMs)) return
    this.#lastSentAt = at
    for (const [channel, beat] of this.#beats) {
      beat.subscribed ??= this.#link.subscribe(channel).catch(() => {
        if (this.#beats.get(channel) === beat) beat.subscribed = undefined
      })
      beat.subscribed
        .then(() => this.#link.publish(channel, intervalMs))
        .catch(() => {
          // Unheard: the listeners learn it from the missing heartbeat, within their bound.
        })
    }
  }
}
