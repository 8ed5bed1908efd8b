import type { Attributes, ObservableResult } from '@opentelemetry/api'
import type { OperationContext, Tier } from '../observe/channels.js'
import { CACHE, DB_OPERATION_NAME, STALE, TIER } from './attributes.js'

/** The reads, by their position in a cache's slots. */
const readIndex: Partial<Record<string, number>> = { get: 0, getMany: 1, getOrSet: 2, getOrSetMany: 3 }
const tierIndex: Record<Tier, number> = { l1: 0, l2: 1, loader: 2, miss: 3 }
export const tiers: readonly Tier[] = ['l1', 'l2', 'loader', 'miss']

interface Slot {
  readonly attributes: Attributes
  readonly hit: boolean
  count: number
}

/**
 * Hits and misses, tallied in plain numbers and reported by the observable counters
 * `flipcache.hits` and `flipcache.misses` when the SDK collects: an L1 hit, the hottest path there
 * is, then costs an array slot's increment instead of a synchronous counter's attribute hashing.
 */
export class ReadTally {
  /** Per cache, a slot per (read, tier, stale). */
  readonly #byCache = new Map<string, (Slot | undefined)[]>()

  /** Whether `operation` is a read (whose hits and misses count). */
  static isRead(operation: string): boolean {
    return readIndex[operation] !== undefined
  }

  count(operation: OperationContext): void {
    const read = readIndex[operation.operation]
    if (read === undefined) return
    if (operation.tiers !== undefined) {
      for (const tier of tiers) {
        const count = operation.tiers[tier] ?? 0
        if (count > 0) this.#add(operation, read, tier, count)
      }
    } else if (operation.tier !== undefined) this.#add(operation, read, operation.tier, 1)
  }

  readonly observeHits = (result: ObservableResult): void => this.#observe(result, true)
  readonly observeMisses = (result: ObservableResult): void => this.#observe(result, false)

  #add(operation: OperationContext, read: number, tier: Tier, count: number): void {
    let slots = this.#byCache.get(operation.cache)
    if (slots === undefined) {
      slots = []
      this.#byCache.set(operation.cache, slots)
    }
    const stale = operation.stale === true
    const index = read * 8 + tierIndex[tier] * 2 + (stale ? 1 : 0)
    let slot = slots[index]
    if (slot === undefined) {
      const hit = tier === 'l1' || tier === 'l2'
      const attributes: Attributes = { [CACHE]: operation.cache, [DB_OPERATION_NAME]: operation.operation }
      if (hit) attributes[TIER] = tier
      if (stale) attributes[STALE] = true
      slot = { attributes, hit, count: 0 }
      slots[index] = slot
    }
    slot.count += count
  }

  #observe(result: ObservableResult, hits: boolean): void {
    // A miss is either tier 'loader' or 'miss': both slots report under the same attributes.
    const totals = new Map<string, { attributes: Attributes; count: number }>()
    for (const slots of this.#byCache.values()) {
      for (const slot of slots) {
        if (slot === undefined || slot.hit !== hits) continue
        const key = JSON.stringify(slot.attributes)
        const total = totals.get(key)
        if (total === undefined) totals.set(key, { attributes: slot.attributes, count: slot.count })
        else total.count += slot.count
      }
    }
    for (const { attributes, count } of totals.values()) result.observe(count, attributes)
  }
}
