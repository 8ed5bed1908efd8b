import * as clock from '../clock.js'
import type { EntryCodec } from '../entry/entry-codec.js'
import type { ReportContext } from '../error-reporter.js'
import { DecodeError, type FlipCacheError } from '../errors.js'
import type { StatsCounter } from '../stats.js'
import type { Store } from '../store/store.js'
import type { TagStamp } from '../tags/tag-stamps.js'
import type { RedisValue } from '../types/value-codec.js'
import type { CacheState } from './cache-state.js'

/**
 * What sends a write's framed entries to Redis in place of `store.write` (write-behind: the values
 * and their queue entries in one script); called synchronously, so it joins the tick's pipeline.
 */
export type SendWrite = (stored: [key: string, value: RedisValue][], ttlMs: number | null) => Promise<void>

/** What sends a delete to Redis in place of `store.remove`; resolves to how many keys Redis had. */
export type SendRemove = (keys: string[]) => Promise<number>

export interface WritesConfig<V> {
  store: Store
  state: CacheState<V>
  entries: EntryCodec<V>
  stats: StatsCounter
  /**
   * This instance writes or deletes `keys`, whose commands are queued already: the other instances
   * hear of it in the same round trip, after them.
   */
  announce: (keys: string[], deleted: boolean) => void
  report: (error: FlipCacheError, context?: ReportContext) => void
}

/**
 * The write path: Redis first, then L1; reads on their way for the keys may not fill L1 with what
 * they saw before; the other instances hear of the keys in the same round trip.
 */
export class Writes<V> {
  readonly #config: WritesConfig<V>

  constructor(config: WritesConfig<V>) {
    this.#config = config
  }

  /**
   * Writes encoded values (framed with a header when they need one), then keeps what a read would
   * return in L1. `freshUntil` is the logical expiry of getOrSet values written with grace or
   * refresh-ahead; plain writes have none and stay raw. `send` replaces `store.write`.
   */
  async write(
    entries: [key: string, encoded: RedisValue][],
    ttlMs: number | null,
    freshUntil = Number.POSITIVE_INFINITY,
    send?: SendWrite,
    tags?: readonly TagStamp[],
  ): Promise<void> {
    const { store, state, entries: codec, stats, announce, report } = this.#config
    const keys = entries.map(([key]) => key)
    const ticket = state.startWrite(keys)
    const startedAt = clock.now()
    // A hash field on a server without field TTLs: its expiry travels in its header.
    const expiresAt = ttlMs === null ? Number.POSITIVE_INFINITY : startedAt + ttlMs
    const stored = entries.map(([key, encoded]): [string, RedisValue] => [
      key,
      codec.frame(encoded, {
        freshUntil,
        expiresAt: store.headerExpiry(key) ? expiresAt : Number.POSITIVE_INFINITY,
        tags,
      }),
    ])
    // The store queues its commands at once; the news of them is queued after, so it leaves after them.
    const landing = send === undefined ? store.write(stored, ttlMs) : send(stored, ttlMs)
    announce(keys, false)
    // L1's copies are decoded while the write is on its way: in a tick callback queued after the
    // transport's, so once the pipeline has left and before its reply can be read.
    let copies: (V | Undecodable)[] | undefined
    if (state.localEnabled) process.nextTick(() => (copies ??= this.#copiesOf(entries)))
    // Each entry's remaining life as Redis left it, where the store says it is not `ttlMs`.
    let lives: number[] | undefined
    try {
      lives = (await landing) ?? undefined
    } catch (error) {
      // Whether Redis applied the write is unknown, so no copy of the key may be trusted.
      state.drop(keys)
      stats.errors++
      throw error
    } finally {
      state.endWrite(ticket, keys)
    }
    stats.sets += entries.length
    if (!state.localEnabled) return
    const redisUntil = ttlMs === null ? Number.POSITIVE_INFINITY : startedAt + ttlMs
    copies ??= this.#copiesOf(entries)
    for (const [index, [key, encoded]] of entries.entries()) {
      const copy = copies[index] as V | Undecodable
      if (copy instanceof Undecodable) {
        state.drop([key])
        report(copy.error, { operation: 'set' })
        continue
      }
      const redisLife = lifeUntil(lives?.[index], startedAt, redisUntil)
      state.fill(ticket, key, copy, startedAt, redisLife, freshUntil, tags, encoded)
    }
  }

  /**
   * What L1 keeps of each written value: what a read from Redis would return, never the caller's
   * object (which the caller may change later); a value that does not decode is its `DecodeError`.
   */
  #copiesOf(entries: [key: string, encoded: RedisValue][]): (V | Undecodable)[] {
    const { entries: codec, store } = this.#config
    return entries.map(([key, encoded]) => {
      try {
        return codec.copyOf(encoded)
      } catch (error) {
        return new Undecodable(
          new DecodeError(store.redisKey(key), 'the value just written', { cause: error }),
        )
      }
    })
  }

  /** Removes `keys` from L1 and Redis (one UNLINK, or `send`); resolves to how many Redis had. */
  async remove(keys: string[], send?: SendRemove): Promise<number> {
    const { store, state, stats, announce } = this.#config
    state.invalidate(keys)
    const removing = send === undefined ? store.remove(keys) : send(keys)
    announce(keys, true)
    try {
      const removed = await removing
      stats.deletes += removed
      return removed
    } catch (error) {
      stats.errors++
      throw error
    }
  }

  /**
   * Keeps a loaded value in L1 alone, Redis having failed to take it (read-through's fail-safe):
   * until its TTL, as if Redis had it.
   */
  keepLocally(
    key: string,
    encoded: RedisValue,
    ttlMs: number | null,
    freshUntil: number,
    tags?: readonly TagStamp[],
  ): void {
    const now = clock.now()
    const redisUntil = ttlMs === null ? Number.POSITIVE_INFINITY : now + ttlMs
    const copy = this.#config.entries.copyOf(encoded)
    this.#config.state.fill(undefined, key, copy, now, redisUntil, freshUntil, tags, encoded)
  }
}

/** A written value that did not decode back (a custom codec's bug): no decoded value can be one. */
class Undecodable {
  constructor(readonly error: DecodeError) {}
}

/**
 * Until when Redis keeps an entry: `redisUntil`, or by `life`, its remaining life as Redis reported
 * it after the write (-1: none; -2: gone already), counted from `startedAt` (before the write, so
 * never later than Redis's own expiry).
 */
function lifeUntil(life: number | undefined, startedAt: number, redisUntil: number): number {
  if (life === undefined) return redisUntil
  if (life === -1) return Number.POSITIVE_INFINITY
  return startedAt + Math.max(0, life)
}
