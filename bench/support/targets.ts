import type { Target } from '../report/model.js'
import { formatRatio } from './format.js'

/** A ratio target (`measured ≥ minimum`), with why it was missed when it was. */
export function ratioTarget(what: string, measured: number, minimum: number, why: string): Target {
  const pass = measured >= minimum
  return { what, measured: formatRatio(measured), target: `≥ ${minimum}×`, pass, ...(pass ? {} : { why }) }
}
