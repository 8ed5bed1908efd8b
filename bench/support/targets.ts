import type { Target } from '../report/model.js'
import { formatRatio } from './format.js'
import type { Measured } from './measure.js'

/** A ratio target (`measured ≥ minimum`), with why it was missed when it was. */
export function ratioTarget(what: string, measured: number, minimum: number, why: string): Target {
  const pass = measured >= minimum
  return { what, measured: formatRatio(measured), target: `≥ ${minimum}×`, pass, ...(pass ? {} : { why }) }
}

/** How much of this process's CPU `row` and `baseline` took per operation, for a missed target's reason. */
export function clientCpuClause(row: Measured, baseline: Measured): string {
  const format = (us: number): string => (Number.isFinite(us) ? `${us.toFixed(1)} µs` : 'n/a')
  return (
    `in this run ${row.name} took ${format(row.clientCpuUsPerOp)} of client CPU per op ` +
    `(GC and I/O included), ${baseline.name} ${format(baseline.clientCpuUsPerOp)}`
  )
}
