/** Escapes the characters that `SCAN ... MATCH` treats as a glob, so `a*b` or `x[1]` match only themselves. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[\\*?[\]]/g, '\\$&')
}
