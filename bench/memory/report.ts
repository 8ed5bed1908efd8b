import type { Section } from '../report/model.js'
import type { MemoryRow } from './measure-memory.js'
import type { Shape } from './shapes.js'

/** One shape's results, the baseline row first. */
export interface ShapeResult {
  shape: Shape
  rows: MemoryRow[]
}

/** A target of the issue: a ratio to raw JSON, measured on the small entries. */
export interface Target {
  what: string
  measured: number
  limit: number
  /** `max`: the measured ratio must be at most `limit`; `min`: at least. */
  bound: 'max' | 'min'
}

export function ratioToBaseline(result: ShapeResult, row: MemoryRow): number {
  const baseline = result.rows[0]
  if (baseline === undefined || baseline.subject.group !== 'baseline') throw new Error('No baseline row')
  return row.bytesPerEntry / baseline.bytesPerEntry
}

/** The label of the field-TTL pass's row with `sharedStructures` (its target is judged on it). */
export const sharedStructuresOnRedis8 =
  "hash 100/bucket, 'msgpack', sharedStructures, entryExpiry 'auto' (default)"

/** Issue 19's target for the leanest layout, on every server measured: at most this ratio to raw JSON. */
export const leanestLimit = 0.22

/** The targets, judged on the small entries. */
export function targets(small: ShapeResult): Target[] {
  const ratio = (label: string): number => {
    const row = small.rows.find((candidate) => candidate.subject.label === label)
    if (row === undefined) throw new Error(`No row labelled ${label}`)
    return ratioToBaseline(small, row)
  }
  const hashRows = small.rows.filter((row) => row.subject.label.startsWith('flipcache hash'))
  const best = Math.min(...hashRows.map((row) => ratioToBaseline(small, row)))
  const bento = small.rows.find((row) => row.subject.label.startsWith('BentoCache'))
  const bestFlipcache = Math.min(
    ...small.rows.filter((row) => row.subject.group === 'flipcache').map((row) => row.bytesPerEntry),
  )
  return [
    {
      what: "string, 'msgpack' vs raw JSON",
      measured: ratio("flipcache string, valueType 'msgpack'"),
      limit: 0.95,
      bound: 'max',
    },
    {
      what: "string, 'superjson' vs raw JSON",
      measured: ratio("flipcache string, valueType 'superjson' (default)"),
      limit: 1.02,
      bound: 'max',
    },
    {
      what: "hash 100/bucket, 'msgpack' vs raw JSON",
      measured: ratio("flipcache hash 100/bucket, 'msgpack'"),
      limit: 0.35,
      bound: 'max',
    },
    { what: 'best hash configuration vs raw JSON', measured: best, limit: 0.3, bound: 'max' },
    {
      what: "hash 100/bucket, 'msgpack', sharedStructures vs raw JSON",
      measured: ratio("flipcache hash 100/bucket, 'msgpack', sharedStructures"),
      limit: leanestLimit,
      bound: 'max',
    },
    {
      what: "BentoCache's default vs flipcache's leanest",
      measured: bento === undefined ? Number.NaN : bento.bytesPerEntry / bestFlipcache,
      limit: 4,
      bound: 'min',
    },
  ]
}

export function met(target: Target): boolean {
  return target.bound === 'max' ? target.measured <= target.limit : target.measured >= target.limit
}

export function describeTarget(target: Target): string {
  const sign = target.bound === 'max' ? '≤' : '≥'
  return `${met(target) ? 'PASS' : 'MISS'}: ${target.what} ${target.measured.toFixed(3)}× (target ${sign} ${target.limit}×)`
}

/** The table of one shape in Markdown. */
export function markdownTable(result: ShapeResult): string {
  const lines = [
    '| storage | bytes / entry | × raw JSON | Redis keys | encoding |',
    '|---|--:|--:|--:|---|',
    ...result.rows.map(
      (row) =>
        `| ${row.subject.label.replaceAll('|', '\\|')} | ${row.bytesPerEntry.toFixed(1)} | ${ratioToBaseline(result, row).toFixed(3)} | ${row.keys.toLocaleString('en-US')} | ${row.encoding} |`,
    ),
  ]
  return lines.join('\n')
}

const colors = { baseline: '#8c8c8c', flipcache: '#2f6fb3', peer: '#d9822b' } as const

/** A horizontal bar chart of bytes per entry, one bar per row, as a standalone SVG document. */
export function barChart(result: ShapeResult, title: string): string {
  const labelWidth = 350
  const barWidth = 360
  const rowHeight = 24
  const top = 40
  const width = labelWidth + barWidth + 90
  const height = top + result.rows.length * rowHeight + 30
  const largest = Math.max(...result.rows.map((row) => row.bytesPerEntry))
  const bars = result.rows.map((row, index) => {
    const y = top + index * rowHeight
    const length = Math.max(1, (row.bytesPerEntry / largest) * barWidth)
    return [
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escapeXml(row.subject.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${length.toFixed(1)}" height="${rowHeight - 8}" fill="${colors[row.subject.group]}"/>`,
      `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 16}">${row.bytesPerEntry.toFixed(0)} B</text>`,
    ].join('\n  ')
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `  <title>${escapeXml(title)}</title>`,
    `  <rect width="100%" height="100%" fill="#ffffff"/>`,
    `  <text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `  ${bars.join('\n  ')}`,
    `  <text x="${labelWidth}" y="${height - 10}" fill="#555">grey: baseline · blue: flipcache · orange: other Node caches</text>`,
    '</svg>',
    '',
  ].join('\n')
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** The columns of a bytes-per-entry table (one row per storage). */
export const entryColumns: Section['columns'] = [
  { header: 'storage' },
  { header: 'bytes/entry', align: 'right' },
  { header: '× raw JSON', align: 'right' },
  { header: 'keys', align: 'right' },
  { header: 'encoding' },
]
