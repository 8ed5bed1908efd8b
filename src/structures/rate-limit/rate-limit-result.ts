import { RedisUnavailableError } from '../../errors.js'

/** What a {@link RateLimiter} says of a hit (or, for `peek`, of a hit made now). */
export interface RateLimitResult {
  /** Whether the hit was admitted and its cost taken; a denied hit takes nothing. */
  allowed: boolean
  /** Units a next hit could take now: 0 to `limit`. */
  remaining: number
  /**
   * Milliseconds until the key holds nothing and its whole `limit` is back, if no more hits come
   * (its Redis key expires then); 0 when it holds nothing now.
   */
  resetIn: number
  /**
   * 0 when the hit was allowed; else milliseconds until a hit of the same cost would be, if no other
   * hit comes meanwhile: what a `Retry-After` header wants.
   */
  retryIn: number
}

/** A script's reply, and whether the script found the key damaged (and deleted it). */
export interface ScriptOutcome {
  result: RateLimitResult
  damaged: boolean
}

/** Reads a rate-limit script's reply `{ allowed, remaining, resetIn, retryIn, damaged }`. */
export function outcomeOf(reply: unknown, redisKey: string): ScriptOutcome {
  const numbers = Array.isArray(reply) && reply.length === 5 && reply.every(Number.isSafeInteger)
  if (!numbers) {
    throw new RedisUnavailableError(
      `Unexpected reply from the rate-limit script for Redis key \`${redisKey}\``,
    )
  }
  const [allowed, remaining, resetIn, retryIn, damaged] = reply as number[]
  return {
    result: {
      allowed: allowed === 1,
      remaining: remaining as number,
      resetIn: resetIn as number,
      retryIn: retryIn as number,
    },
    damaged: damaged === 1,
  }
}
