/**
 * What the benchmark hands to the report: plain data, so that the scenarios stay free of Markdown and
 * SVG, and the report can be tested from made-up numbers without Redis.
 */

/** One bar of a chart; `kind` picks its colour so that flipcache stands out from what it is compared with. */
export interface Bar {
  label: string
  value: number
  kind: 'flipcache' | 'baseline' | 'peer'
}

export interface Chart {
  /** File name stem: docs/img/<id>.svg */
  id: string
  title: string
  /** e.g. 'ops/s', 'ms', 'loader calls', 'bytes/entry' */
  unit: string
  bars: Bar[]
  /** Log scale for values spanning orders of magnitude (L1 hits vs Redis round trips). */
  log?: boolean
  /** 'higher' (throughput) or 'lower' (latency, bytes) is better: shown in the chart subtitle. */
  better: 'higher' | 'lower'
}

/** A goal of the benchmark and how this run did against it. */
export interface Target {
  what: string
  measured: string
  target: string
  pass: boolean
  /** why it missed, when it did */
  why?: string
}

export interface Section {
  /** Anchor and order key, e.g. 'l1', 'redis-hit', 'writes', 'stampede', 'invalidation', 'memory', 'published', 'cluster' */
  id: string
  title: string
  /** What was measured and how, one paragraph. */
  intro: string
  columns: { header: string; align?: 'left' | 'right' }[]
  rows: string[][]
  notes?: string[]
  /** The exact configuration of each row (row label -> configuration sentence). */
  configs?: { row: string; config: string }[]
  charts?: Chart[]
  targets?: Target[]
}

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  os: string
  node: string
  redis: string
}

export interface RunInfo {
  date: string
  quick: boolean
  durationS: number
  command: string
  rounds: string
  machine: Machine
  versions: { name: string; version: string }[]
}
