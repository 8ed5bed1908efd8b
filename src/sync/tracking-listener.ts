/** What a cache hears from Redis's own invalidations. */
export interface TrackingListener {
  /** Keys of this prefix (prefix removed) changed, expired or were evicted; 'all' after a FLUSHALL. */
  invalidated: (keys: string[] | 'all') => void
  /**
   * Another cache of the same prefix on the same client wrote (or deleted) these encoded keys, and
   * Redis has them: what Redis would have said, had NOLOOP not silenced the client's own writes.
   */
  siblingWrote: (keys: string[]) => void
  /** Invalidations may have been lost (a connection dropped, or tracking was re-armed). */
  reconnected: () => void
  /**
   * Whether the cache's writes change a Redis key in part (a field of a hash bucket): then the
   * client's connection tracks without NOLOOP while it listens (see TrackingHub).
   */
  readonly writesInPart: boolean
  /**
   * A connection came back but tracking could not be armed on it again (`error` says why):
   * invalidations are not heard until a retry succeeds, which then calls `reconnected`.
   */
  unarmed: (error: Error) => void
}
