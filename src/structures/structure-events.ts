import type { FlipCacheError } from '../errors.js'
import type { RedisStatusChange } from '../flipcache-types.js'

/** The events of FlipList and FlipRanking: failures no caller awaits, and the client's breaker. */
export interface StructureEvents {
  /** Stored data that did not decode (`E_DECODE`), skipped by the read that met it. */
  error: [error: FlipCacheError]
  /** The client's circuit breaker opened (`'down'`) or closed again (`'up'`). */
  redis: [change: RedisStatusChange]
}
