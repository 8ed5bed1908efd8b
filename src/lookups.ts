import { DecodeError } from './errors.js'
import type { LocalTier } from './local/local-tier.js'
import type { StringStore } from './remote/string-store.js'
import type { RedisValue, ValueCodec } from './types/value-codec.js'

/** The outcome of reading one key from Redis. */
export type Lookup<V> = { found: true; value: V } | { found: false }

/** A read of one key that is on its way; later readers of the key join it instead of asking Redis again. */
interface Flight<V> {
  readonly batch: Promise<Lookup<V>[]>
  readonly index: number
  /** Set when the key was written, deleted or cleared while the read was out: its answer must not fill L1. */
  stale: boolean
}

export interface LookupsConfig<V> {
  store: StringStore
  local: LocalTier<V>
  codec: ValueCodec<V>
  /** Sliding expiry: reads use GETEX and reset the TTL to this many ms. */
  slidingMs: number | null
  /** Reports a value that did not decode (the read counts as a miss). */
  report: (error: DecodeError) => void
}

const missing: Lookup<never> = { found: false }

/**
 * Reads keys from Redis for L1 misses: one round trip for all the keys asked for in a tick, one
 * read per key however many callers want it, decoded once, and put into L1 unless the key changed
 * while the read was out.
 */
export class Lookups<V> {
  readonly #config: LookupsConfig<V>
  readonly #inFlight = new Map<string, Flight<V>>()

  constructor(config: LookupsConfig<V>) {
    this.#config = config
  }

  /** Lookups of distinct `keys`, in order, joining reads already on their way. */
  lookup(keys: string[]): Promise<Lookup<V>[]> {
    const toRead: string[] = []
    const joined = keys.map((key) => {
      const flight = this.#inFlight.get(key)
      if (flight === undefined) toRead.push(key)
      return flight
    })
    const batch = toRead.length > 0 ? this.#read(toRead) : undefined
    if (batch !== undefined && toRead.length === keys.length) return batch
    let readIndex = 0
    return Promise.all(
      joined.map((flight) => {
        if (flight !== undefined) return flight.batch.then((lookups) => lookups[flight.index] ?? missing)
        const index = readIndex++
        return (batch as Promise<Lookup<V>[]>).then((lookups) => lookups[index] ?? missing)
      }),
    )
  }

  /**
   * The key is being written or deleted: a read already on its way will not fill L1, and later
   * readers start a read of their own (sent after the write) instead of joining it.
   */
  invalidate(key: string): void {
    const flight = this.#inFlight.get(key)
    if (flight === undefined) return
    flight.stale = true
    this.#inFlight.delete(key)
  }

  invalidateAll(): void {
    for (const flight of this.#inFlight.values()) flight.stale = true
    this.#inFlight.clear()
  }

  #read(keys: string[]): Promise<Lookup<V>[]> {
    const flights: Flight<V>[] = []
    const startedAt = Date.now()
    const batch = this.#fetch(keys, startedAt).then(
      ({ values, redisUntil }) => {
        const lookups = values.map((raw, index) => this.#settle(keys[index] as string, raw))
        keys.forEach((key, index) => {
          const flight = flights[index] as Flight<V>
          if (this.#inFlight.get(key) === flight) this.#inFlight.delete(key)
          const lookup = lookups[index]
          if (lookup?.found && !flight.stale) {
            this.#config.local.set(key, lookup.value, startedAt, redisUntil[index] ?? startedAt)
          }
        })
        return lookups
      },
      (error: unknown) => {
        keys.forEach((key, index) => {
          if (this.#inFlight.get(key) === flights[index]) this.#inFlight.delete(key)
        })
        throw error
      },
    )
    keys.forEach((key, index) => {
      const flight: Flight<V> = { batch, index, stale: false }
      flights.push(flight)
      this.#inFlight.set(key, flight)
    })
    return batch
  }

  /** Raw values, and until when Redis keeps each (`Infinity`: no expiry; `startedAt` or before: gone). */
  async #fetch(
    keys: string[],
    startedAt: number,
  ): Promise<{ values: (RedisValue | null)[]; redisUntil: number[] }> {
    const { store, local, slidingMs } = this.#config
    if (slidingMs !== null) {
      const values = await store.readSliding(keys, slidingMs)
      return { values, redisUntil: keys.map(() => startedAt + slidingMs) }
    }
    // PTTL rides in the same round trip only when the answer will fill L1, which must not outlive Redis.
    const { values, ttls } = await store.read(keys, local.enabled)
    const redisUntil = (ttls ?? []).map((ttl) => (ttl === -1 ? Number.POSITIVE_INFINITY : startedAt + ttl))
    return { values, redisUntil }
  }

  #settle(key: string, raw: RedisValue | null): Lookup<V> {
    if (raw === null) return missing
    try {
      return { found: true, value: this.#config.codec.decode(raw) }
    } catch (error) {
      this.#config.report(new DecodeError(this.#config.store.redisKey(key), 'the value', { cause: error }))
      return missing
    }
  }
}
