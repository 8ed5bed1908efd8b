import type { Bar } from '../report/model.js'
import {
  formatCommands,
  formatCount,
  formatDuration,
  formatRatio,
  formatRme,
  formatServerCpu,
  formatSpread,
} from './format.js'
import { type Measured, ratio, ratioSpread } from './measure.js'

/**
 * The cells a timed table shows for `result` against `baseline`, after its name: ops/s, mean per op,
 * margin of error, Redis commands per op, Redis server CPU ms per 1,000 ops ({@link serverCpuColumn}), the median ratio and its spread over rounds.
 */
export function measuredCells(result: Measured, baseline: Measured): string[] {
  return [
    formatCount(result.opsPerSec),
    formatDuration(result.opMs),
    formatRme(result.rme),
    formatCommands(result.commandsPerOp),
    formatServerCpu(result.serverCpuMsPerK),
    formatRatio(ratio(result, baseline)),
    result === baseline ? '' : formatSpread(ratioSpread(result, baseline)),
  ]
}

/** A table column, as a section lists them. */
type Column = { header: string; align?: 'left' | 'right' }

/**
 * The columns of {@link measuredCells}, in its order: `ratioHeader` names the baseline (`vs raw`);
 * `rate` and `mean` name the operation (`entries/s`, `mean/entry` for writes).
 */
export function measuredColumns(ratioHeader: string, rate = 'ops/s', mean = 'mean/op'): Column[] {
  return [
    { header: rate, align: 'right' },
    { header: mean, align: 'right' },
    { header: '', align: 'right' },
    { header: 'cmds/op', align: 'right' },
    { header: serverCpuColumn, align: 'right' },
    { header: ratioHeader, align: 'right' },
    { header: 'rounds', align: 'right' },
  ]
}

/** The header of the column of {@link measuredCells} that holds the Redis server's CPU. */
export const serverCpuColumn = 'Redis CPU ms/1k ops'

/**
 * The table note on that column: what it measures, and that the INFO reading it is inside the window.
 */
export const serverCpuNote =
  `${serverCpuColumn}: the Redis server's CPU (INFO cpu used_cpu_sys + used_cpu_user) during the timed runs, ` +
  'in ms per 1,000 operations, median over rounds, as measured: the one INFO that reads it falls inside each ' +
  "window (negligible against its hundreds of operations), and so does the server's own background work " +
  '(serverCron), which shows as a few hundredths on rows that send no command. n/a on a REDIS_URL server, ' +
  'which others may use.'

/** How a row is drawn in a chart: flipcache's, a peer's (its name starts with a peer's label), or a baseline. */
export function barKind(name: string, peerLabels: readonly string[]): Bar['kind'] {
  if (name.startsWith('flipcache')) return 'flipcache'
  return peerLabels.some((label) => name.startsWith(label)) ? 'peer' : 'baseline'
}
