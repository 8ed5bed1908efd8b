import type { Bar } from '../report/model.js'
import {
  formatCommands,
  formatCount,
  formatDuration,
  formatRatio,
  formatRme,
  formatSpread,
} from './format.js'
import { type Measured, ratio, ratioSpread } from './measure.js'

/**
 * The cells a timed table shows for `result` against `baseline`, after its name: ops/s, mean per op,
 * margin of error, Redis commands per op, the median ratio and its spread over rounds.
 */
export function measuredCells(result: Measured, baseline: Measured): string[] {
  return [
    formatCount(result.opsPerSec),
    formatDuration(result.opMs),
    formatRme(result.rme),
    formatCommands(result.commandsPerOp),
    formatRatio(ratio(result, baseline)),
    result === baseline ? '' : formatSpread(ratioSpread(result, baseline)),
  ]
}

/** How a row is drawn in a chart: flipcache's, a peer's (its name starts with a peer's label), or a baseline. */
export function barKind(name: string, peerLabels: readonly string[]): Bar['kind'] {
  if (name.startsWith('flipcache')) return 'flipcache'
  return peerLabels.some((label) => name.startsWith(label)) ? 'peer' : 'baseline'
}
