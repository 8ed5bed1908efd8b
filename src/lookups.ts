import { DecodeError } from './errors.js'
import type { LocalTier } from './local/local-tier.js'
import type { Store } from './remote/store.js'
import { hasHeader, readHeader } from './types/entry-header.js'
import { asReply, type RedisValue, type ValueCodec } from './types/value-codec.js'

/** What a lookup yields for a key Redis does not have (or holds undecodable data under). */
export const MISSING: unique symbol = Symbol('flipcache.missing')
export type Found<V> = V | typeof MISSING

/** The values of a read, in key order, and (when any value carried one) their fresh-until times. */
export interface Looked<V> {
  values: Found<V>[]
  /** `freshUntil[i]` is when value `i` turns stale; `undefined` (the whole array, or an item): never. */
  freshUntil: number[] | undefined
}

/** Value `index` of a read if it is still fresh at `now`, else `MISSING`. */
export function freshValue<V>(looked: Looked<V>, index: number, now: number): Found<V> {
  const value = looked.values[index] as Found<V>
  const freshUntil = looked.freshUntil?.[index]
  return freshUntil !== undefined && freshUntil <= now ? MISSING : value
}

/** One read of some keys on its way; later readers of those keys join it instead of asking Redis again. */
interface Flight<V> {
  readonly keys: string[]
  /** Whether later readers of these keys may join this read (its keys are in the in-flight map). */
  readonly shared: boolean
  readonly looked: Promise<Looked<V>>
  /** Keys written, deleted or cleared while the read was out: their answers must not fill L1. */
  stale: Set<string> | undefined
}

/** A write on its way; `stale` holds its keys that changed again before it landed. */
export interface WriteTicket {
  stale: Set<string> | undefined
}

export interface LookupsConfig<V> {
  store: Store
  local: LocalTier<V>
  codec: ValueCodec<V>
  /** Sliding expiry: reads use GETEX and reset the TTL to this many ms. */
  slidingMs: number | null
  /** Reports a value that did not decode (the read counts as a miss). */
  report: (error: DecodeError) => void
}

/**
 * Reads keys from Redis for L1 misses: one round trip for all the keys asked for in a tick, one
 * read per key however many callers want it, decoded once, and put into L1 unless the key changed
 * while the read was out.
 */
export class Lookups<V> {
  readonly #config: LookupsConfig<V>
  #inFlight = new Map<string, Flight<V>>()
  #writing = new Map<string, WriteTicket>()

  constructor(config: LookupsConfig<V>) {
    this.#config = config
  }

  /**
   * Values of `keys`, in order (`MISSING` for a miss), joining reads already on their way. With
   * `share: false` the new read is not offered to later readers: for a multi-key read with L1 off,
   * indexing every key costs about as much as the rare duplicate read it would save, and with L1
   * off there is no fill to protect from a concurrent write.
   */
  lookup(keys: string[], share = true): Promise<Looked<V>> {
    // With L1 on, every read must be findable, so that a write can keep its answer out of L1.
    if (this.#config.local.enabled) share = true
    if (this.#inFlight.size === 0) return this.#read(keys, share)
    let joined: (Flight<V> | undefined)[] | undefined
    for (let index = 0; index < keys.length; index++) {
      const flight = this.#inFlight.get(keys[index] as string)
      if (flight === undefined) continue
      joined ??= []
      joined[index] = flight
    }
    if (joined === undefined) return this.#read(keys, share)
    const flights = joined
    const toRead = keys.filter((_, index) => flights[index] === undefined)
    const own = toRead.length > 0 ? this.#read(toRead, share) : undefined
    let ownIndex = 0
    const parts = keys.map((key, index) => {
      const flight = flights[index]
      if (flight !== undefined) return flight.looked.then((looked) => pick(looked, flight.keys.indexOf(key)))
      const position = ownIndex++
      return (own as Promise<Looked<V>>).then((looked) => pick(looked, position))
    })
    return Promise.all(parts).then((picked) => ({
      values: picked.map(([value]) => value),
      freshUntil: picked.some(([, freshUntil]) => freshUntil !== undefined)
        ? picked.map(([, freshUntil]) => freshUntil ?? Number.POSITIVE_INFINITY)
        : undefined,
    }))
  }

  /**
   * The key is being written or deleted: a read already on its way will not fill L1, and later
   * readers start a read of their own (sent after the write) instead of joining it.
   */
  invalidate(key: string): void {
    const flight = this.#inFlight.get(key)
    if (flight !== undefined) {
      flight.stale ??= new Set()
      flight.stale.add(key)
      this.#inFlight.delete(key)
    }
    const write = this.#writing.get(key)
    if (write !== undefined) {
      write.stale ??= new Set()
      write.stale.add(key)
      this.#writing.delete(key)
    }
  }

  invalidateAll(): void {
    for (const [key, flight] of this.#inFlight) {
      flight.stale ??= new Set()
      flight.stale.add(key)
    }
    this.#inFlight = new Map()
    for (const [key, write] of this.#writing) {
      write.stale ??= new Set()
      write.stale.add(key)
    }
    this.#writing = new Map()
  }

  /**
   * A write of `keys` is on its way: a delete, a later write or an invalidation of one of them before
   * it lands marks it in the ticket, and the write must then not put its value into L1.
   */
  beginWrite(keys: string[]): WriteTicket {
    const ticket: WriteTicket = { stale: undefined }
    for (const key of keys) this.#writing.set(key, ticket)
    return ticket
  }

  endWrite(keys: string[], ticket: WriteTicket): void {
    for (const key of keys) {
      if (this.#writing.get(key) === ticket) this.#writing.delete(key)
    }
  }

  #read(keys: string[], share: boolean): Promise<Looked<V>> {
    const startedAt = Date.now()
    const flight: Flight<V> = {
      keys,
      shared: share,
      stale: undefined,
      looked: this.#fetch(keys).then(
        (reply) => {
          this.#land(flight)
          return this.#settle(flight, reply, startedAt)
        },
        (error: unknown) => {
          this.#land(flight)
          throw error
        },
      ),
    }
    if (share) for (const key of keys) this.#inFlight.set(key, flight)
    return flight.looked
  }

  /** The read is over: later readers of its keys start reads of their own. */
  #land(flight: Flight<V>): void {
    if (!flight.shared) return
    // A key leaves the map only here or in invalidate() (which marks it stale), so an entry not
    // marked stale still belongs to this flight, and one that is may belong to a newer read.
    const { keys, stale } = flight
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index] as string
      if (stale === undefined || !stale.has(key)) this.#inFlight.delete(key)
    }
    // A long-lived Map that is filled and emptied over and over keeps reallocating its tables in
    // V8's old generation, which costs full GCs; a fresh Map once it is empty avoids that churn.
    if (this.#inFlight.size === 0) this.#inFlight = new Map()
  }

  /** Raw values, and their PTTLs when the answers will fill L1. */
  #fetch(keys: string[]): Promise<{ values: (RedisValue | null)[]; ttls: number[] | undefined }> {
    const { store, local, slidingMs } = this.#config
    if (slidingMs !== null)
      return store.readSliding(keys, slidingMs).then((values) => ({ values, ttls: undefined }))
    // PTTL rides in the same round trip only when the answer will fill L1, which must not outlive Redis.
    return store.read(keys, local.enabled)
  }

  /** Decodes each value once and keeps it in L1, unless its key changed while the read was out. */
  #settle(
    flight: Flight<V>,
    reply: { values: (RedisValue | null)[]; ttls: number[] | undefined },
    startedAt: number,
  ): Looked<V> {
    const { local, codec, slidingMs } = this.#config
    const { keys, stale } = flight
    const values = new Array<Found<V>>(keys.length)
    let freshUntil: number[] | undefined
    for (let index = 0; index < keys.length; index++) {
      let raw = reply.values[index]
      if (raw === null || raw === undefined) {
        values[index] = MISSING
        continue
      }
      const key = keys[index] as string
      let value: V
      let fresh = Number.POSITIVE_INFINITY
      let expiresAt = Number.POSITIVE_INFINITY
      try {
        if (hasHeader(raw)) {
          const stored = readHeader(raw)
          fresh = stored.freshUntil
          expiresAt = stored.expiresAt
          raw = stored.payload
        }
        // With compression the store reads bytes; a codec that reads strings gets one.
        value = codec.decode(asReply(raw, codec.reply))
      } catch (error) {
        this.#config.report(new DecodeError(this.#config.store.redisKey(key), 'the value', { cause: error }))
        values[index] = MISSING
        continue
      }
      if (expiresAt <= startedAt) {
        // A hash field read past the expiry in its header: gone, as far as anyone can tell.
        this.#config.store.expired(key)
        values[index] = MISSING
        continue
      }
      values[index] = value
      if (fresh !== Number.POSITIVE_INFINITY) {
        freshUntil ??= new Array<number>(keys.length).fill(Number.POSITIVE_INFINITY)
        freshUntil[index] = fresh
      }
      if (!local.enabled || stale?.has(key)) continue
      const ttl = slidingMs ?? reply.ttls?.[index] ?? -2
      const redisUntil = Math.min(ttl === -1 ? Number.POSITIVE_INFINITY : startedAt + ttl, expiresAt)
      local.set(key, value, startedAt, redisUntil, fresh)
    }
    return { values, freshUntil }
  }
}

/** Value `index` of a read, with its fresh-until time when it has one. */
function pick<V>(looked: Looked<V>, index: number): [Found<V>, number | undefined] {
  // `null` and `undefined` are values a cache may hold: only an index out of range is a miss.
  const value = index >= 0 && index < looked.values.length ? (looked.values[index] as Found<V>) : MISSING
  return [value, looked.freshUntil?.[index]]
}
