import type { FlipCacheOptions } from '../../src/index.js'

// The "expired, never read" scenario of the memory benchmark: its sizes, its rows and what is
// derived from them (no Redis here; expired-unread.ts measures).

export type HashStorage = Extract<
  NonNullable<FlipCacheOptions<number, unknown>['storage']>,
  { bucketSize: number }
>
/** A value of `storage.entryExpiry`. */
export type EntryExpiryChoice = NonNullable<HashStorage['entryExpiry']>

/** How big the "expired, never read" scenario is. */
export interface ExpiredUnreadPlan {
  /** Buckets of {@link bucketSize} fields, each holding long-lived and short-lived entries. */
  buckets: number
  /**
   * The short-lived entries' TTL, at least: a loaded machine that took long over the long-lived
   * writes gets twice the time it should take over the short-lived ones (see {@link shortTtlFor}).
   */
  shortTtlMs: number
  /** How long to wait, past the TTL, for the server's active expiry to settle before giving up. */
  boundMs: number
}

/** 20 long-lived entries (1-hour TTL) and 80 short-lived ones in every bucket of 100 fields. */
export const bucketSize = 100
export const longPerBucket = 20

/** The full run: 1,250 buckets, 100,000 short-lived entries of 2 s, up to 20 s for expiry. */
export const fullPlan: ExpiredUnreadPlan = { buckets: 1_250, shortTtlMs: 2_000, boundMs: 20_000 }
/** --quick: a tenth of the entries and a 1-s TTL. */
export const quickPlan: ExpiredUnreadPlan = { buckets: 125, shortTtlMs: 1_000, boundMs: 20_000 }

/** What one server and one `entryExpiry` did with entries that expired and were never read. */
export interface ExpiredUnreadRow {
  server: string
  /** The option as the cache was given it. */
  option: string
  /** What the server holds, as observed: 'field TTLs' (HPTTL of a short-lived field) or 'expiry header'. */
  path: 'field TTLs' | 'expiry header'
  /** `OBJECT ENCODING` of a bucket holding both kinds of entries. */
  encoding: string
  longLived: number
  shortLived: number
  /** The short-lived entries' TTL. */
  shortTtlMs: number
  /** `used_memory` with the long-lived entries only, after the short-lived ones were written, after they expired. */
  memory: { baseline: number; written: number; expired: number }
  /** Fields in the buckets, summed, once expiry settled. */
  fieldsLeft: number
  /** From the short TTL's end to the last change in the number of fields (0: none changed). */
  expiryMs: number
  /** Whether the fields stopped changing, and the server's active expiry ran, within the plan's bound. */
  settled: boolean
}

/**
 * The plan's TTL, or twice the time the short-lived writes should take (`ratio` times as many as the
 * long-lived ones, which took `longWriteMs`), in whole seconds, if that is longer: the reading taken
 * after the writes must come before the first of them expires.
 */
export function shortTtlFor(plan: ExpiredUnreadPlan, longWriteMs: number, ratio: number): number {
  const needed = Math.ceil((2 * longWriteMs * ratio) / 1000) * 1000
  return Math.max(plan.shortTtlMs, needed)
}

/** The bytes an expired, never-read entry still holds, per entry. */
export function heldPerEntry(row: ExpiredUnreadRow): number {
  return (row.memory.expired - row.memory.baseline) / row.shortLived
}

/** The bytes a short-lived entry added while it was live, per entry. */
export function addedPerEntry(row: ExpiredUnreadRow): number {
  return (row.memory.written - row.memory.baseline) / row.shortLived
}

export function describeOption(entryExpiry: EntryExpiryChoice): string {
  return `entryExpiry '${entryExpiry}'${entryExpiry === 'auto' ? ' (default)' : ''}`
}
