/** A score as a reply carries it: a string (`'1.5'`, `'inf'`: RESP2, or RESP3 doubles mapped to strings), or a number. */
export type ScoreReply = string | number

/**
 * A score as Redis writes it (`'3'`, `'1.5'`, `'1e+20'`, `'inf'`, `'-inf'`) as a number. Redis
 * stores scores as doubles, so every one it returns is a number JavaScript holds exactly.
 */
export function parseScore(reply: ScoreReply): number {
  if (typeof reply === 'number') return reply
  if (reply === 'inf' || reply === '+inf') return Number.POSITIVE_INFINITY
  if (reply === '-inf') return Number.NEGATIVE_INFINITY
  const score = Number(reply)
  if (reply.length === 0 || Number.isNaN(score))
    throw new TypeError(`Expected a score from Redis, got '${reply}'`)
  return score
}

/**
 * The `[member, score]` pairs of a `WITHSCORES` reply: a flat `[member, score, ...]` array on RESP2,
 * an array of pairs on RESP3 (ioredis 6 speaks RESP3 by default).
 */
export function scoredPairs(reply: readonly unknown[]): [member: string, score: ScoreReply][] {
  const flat = reply.flatMap((item) => (Array.isArray(item) ? item : [item])) as (string | number)[]
  const pairs: [string, ScoreReply][] = []
  for (let index = 0; index + 1 < flat.length; index += 2) {
    pairs.push([String(flat[index]), flat[index + 1] as ScoreReply])
  }
  return pairs
}

/** A member of a ranking and its score. */
export interface Scored<M> {
  member: M
  score: number
}
