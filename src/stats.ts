/** What `stats()` reports; counters grow from the cache's creation. */
export interface CacheStats {
  /** Reads answered from L1. */
  localHits: number
  /** Reads answered from Redis. */
  remoteHits: number
  /** Reads that found nothing (or found a value that did not decode). */
  misses: number
  /** Entries written (each entry of `setMany` counts). */
  sets: number
  /** Entries that `delete` / `deleteMany` removed from Redis. */
  deletes: number
  /** Redis failures and undecodable values, counted once per operation (also reported on 'error'). */
  errors: number
  /** `(localHits + remoteHits) / reads`, 0 before the first read. */
  hitRate: number
  /** Entries in L1 now. */
  localSize: number
}

export type Counter = Exclude<keyof CacheStats, 'hitRate' | 'localSize'>

export class StatsCounter {
  localHits = 0
  remoteHits = 0
  misses = 0
  sets = 0
  deletes = 0
  errors = 0

  snapshot(localSize: number): CacheStats {
    const reads = this.localHits + this.remoteHits + this.misses
    return {
      localHits: this.localHits,
      remoteHits: this.remoteHits,
      misses: this.misses,
      sets: this.sets,
      deletes: this.deletes,
      errors: this.errors,
      hitRate: reads === 0 ? 0 : (this.localHits + this.remoteHits) / reads,
      localSize,
    }
  }
}
