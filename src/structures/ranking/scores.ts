/**
 * A score as Redis writes it (`'3'`, `'1.5'`, `'1e+20'`, `'inf'`, `'-inf'`) as a number. Redis
 * stores scores as doubles, so every one it returns is a number JavaScript holds exactly.
 */
export function parseScore(text: string): number {
  if (text === 'inf' || text === '+inf') return Number.POSITIVE_INFINITY
  if (text === '-inf') return Number.NEGATIVE_INFINITY
  const score = Number(text)
  if (Number.isNaN(score)) throw new TypeError(`Expected a score from Redis, got '${text}'`)
  return score
}

/** A member of a ranking and its score. */
export interface Scored<M> {
  member: M
  score: number
}
