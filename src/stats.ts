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
  /** Bytes of encoded values in L1 now (what `localMaxBytes` bounds: each entry's length in Redis). */
  localBytes: number
  /** Sync messages from other instances that invalidated this L1 (or would have, with L1 off). */
  invalidationsReceived: number
  /** Sync messages this instance published (writes of a tick travel as one). */
  invalidationsSent: number
  /**
   * Sync messages given up on: they failed and kept failing until `maxStaleness` passed (each
   * failure is also reported on 'error' as `E_SYNC_NOTICE`).
   */
  invalidationsFailed: number
}

export class StatsCounter {
  localHits = 0
  remoteHits = 0
  misses = 0
  sets = 0
  deletes = 0
  errors = 0

  snapshot(
    localSize: number,
    sync: { received: number; sent: number; failed: number },
    localBytes = 0,
  ): CacheStats {
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
      localBytes,
      invalidationsReceived: sync.received,
      invalidationsSent: sync.sent,
      invalidationsFailed: sync.failed,
    }
  }
}
