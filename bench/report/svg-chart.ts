import { formatDuration } from '../support/format.js'
import type { Bar, Chart } from './model.js'

/** The palette of the memory charts (docs/memory-*.svg), so that every chart in docs/ reads the same way. */
const colors: Record<Bar['kind'], string> = { flipcache: '#2f6fb3', baseline: '#8c8c8c', peer: '#d9822b' }
const legendNames: Record<Bar['kind'], string> = {
  flipcache: 'flipcache',
  baseline: 'baseline',
  peer: 'other Node caches',
}

const fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
const width = 720
const margin = 16
/** Room right of the longest bar for its value. */
const valueRoom = 76
const rowHeight = 24
const barHeight = 16
const top = 56
/** Average advance of a 12 px sans-serif character: sizes the label column without measuring text. */
const charWidth = 6.4

/** Time units a value can be given in, as a factor to ms, so that durations print like the terminal tables. */
const toMs: Record<string, number> = { ns: 1e-6, µs: 1e-3, us: 1e-3, ms: 1, s: 1000 }

/**
 * A horizontal bar chart as a standalone SVG document: labels on the left, one bar per row coloured by
 * kind, the value at the end of each bar, light grid lines with their values under the bars, a legend.
 * The output depends on the chart alone, so a rerun with the same numbers leaves the file unchanged.
 */
export function renderBarChart(chart: Chart): string {
  const labelChars = Math.max(0, ...chart.bars.map((bar) => [...bar.label].length))
  const labelWidth = clamp(Math.ceil(labelChars * charWidth) + 12, 100, 340)
  const barX = margin + labelWidth
  const barWidth = width - barX - valueRoom
  const barsBottom = top + chart.bars.length * rowHeight
  const height = barsBottom + 52
  const scale = chart.log === true ? logScale(chart.bars, barWidth) : linearScale(chart.bars, barWidth)

  const subtitle = [`${chart.better} is better`, chart.unit, ...(chart.log === true ? ['log scale'] : [])]
  const grid = scale.ticks.map((tick) => {
    const x = round(barX + scale.length(tick.value))
    const line = `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${barsBottom}" stroke="#e3e3e3"/>`
    if (!tick.labelled) return [line]
    return [
      line,
      `<text x="${x}" y="${barsBottom + 15}" text-anchor="middle" font-size="11" fill="#767676">${escapeXml(formatValue(tick.value, chart.unit, true))}</text>`,
    ]
  })
  const rows = chart.bars.map((bar, index) => {
    const y = top + index * rowHeight
    const baseline = y + 16
    const length = Number.isFinite(bar.value) ? scale.length(bar.value) : 0
    const label = truncateLabel(bar.label, Math.floor((labelWidth - 8) / charWidth))
    const lines = [
      `<text x="${barX - 8}" y="${baseline}" text-anchor="end">${label === bar.label ? '' : `<title>${escapeXml(bar.label)}</title>`}${escapeXml(label)}</text>`,
    ]
    if (length > 0) {
      lines.push(
        `<rect x="${barX}" y="${y + (rowHeight - barHeight) / 2}" width="${round(length)}" height="${barHeight}" fill="${colors[bar.kind]}"/>`,
      )
    }
    const weight = bar.kind === 'flipcache' ? ' font-weight="bold"' : ''
    lines.push(
      `<text x="${round(barX + length + 6)}" y="${baseline}"${weight}>${escapeXml(formatValue(bar.value, chart.unit))}</text>`,
    )
    return lines
  })
  const kinds = (['flipcache', 'baseline', 'peer'] as const).filter((kind) =>
    chart.bars.some((bar) => bar.kind === kind),
  )
  let legendX = barX
  const legend = kinds.map((kind) => {
    const item = [
      `<rect x="${legendX}" y="${barsBottom + 30}" width="10" height="10" fill="${colors[kind]}"/>`,
      `<text x="${legendX + 15}" y="${barsBottom + 39}" fill="#555">${legendNames[kind]}</text>`,
    ]
    legendX += 15 + Math.ceil(legendNames[kind].length * charWidth) + 18
    return item
  })

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${fontFamily}" font-size="12" fill="#222">`,
    `  <title>${escapeXml(`${chart.title} (${subtitle.join(', ')})`)}</title>`,
    `  <rect width="100%" height="100%" fill="#ffffff"/>`,
    `  <text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `  <text x="${width / 2}" y="40" text-anchor="middle" fill="#555">${escapeXml(subtitle.join(' · '))}</text>`,
    ...[...grid, ...rows, ...legend].flat().map((line) => `  ${line}`),
    `  <line x1="${barX}" y1="${top - 4}" x2="${barX}" y2="${barsBottom}" stroke="#9a9a9a"/>`,
    '</svg>',
    '',
  ].join('\n')
}

/** Where the bars end: `length(value)` in px from the axis, and the values worth a grid line. */
interface Scale {
  length(value: number): number
  /** `labelled: false` for grid lines drawn without a value under them, when labels would crowd. */
  ticks: { value: number; labelled: boolean }[]
}

/** From 0 to a round maximum, grid lines at steps of 1, 2 or 5 × 10ⁿ. */
function linearScale(bars: Bar[], barWidth: number): Scale {
  const largest = Math.max(0, ...bars.map((bar) => bar.value).filter(Number.isFinite))
  if (largest === 0) return { length: () => 0, ticks: [] }
  const rough = largest / 5
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = ([1, 2, 5, 10].find((factor) => factor * magnitude >= rough) ?? 10) * magnitude
  const max = Math.ceil(largest / step - 1e-9) * step
  const ticks: Scale['ticks'] = []
  for (let index = 0; index * step <= max * (1 + 1e-9); index++)
    ticks.push({ value: Number((index * step).toPrecision(12)), labelled: true })
  return {
    // Any measured value gets at least a sliver, so that it does not read as zero.
    length: (value) => (value > 0 ? Math.max(1, (value / max) * barWidth) : 0),
    ticks,
  }
}

/**
 * Powers of ten around the positive values. The lowest decade starts below the smallest value, so the
 * shortest bar still shows; zero and negative values have no logarithm and get no bar.
 */
function logScale(bars: Bar[], barWidth: number): Scale {
  const positive = bars.map((bar) => bar.value).filter((value) => Number.isFinite(value) && value > 0)
  if (positive.length === 0) return { length: () => 0, ticks: [] }
  let low = Math.floor(Math.log10(Math.min(...positive)))
  if (10 ** low >= Math.min(...positive)) low -= 1
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...positive))))
  const span = high - low
  // At most about seven labelled decades fit under a bar area this wide.
  const every = Math.ceil((span + 1) / 7)
  const ticks: Scale['ticks'] = []
  for (let exponent = low; exponent <= high; exponent++) {
    ticks.push({ value: Number((10 ** exponent).toPrecision(12)), labelled: (exponent - low) % every === 0 })
  }
  return {
    length: (value) => (value > 0 ? Math.max(1, ((Math.log10(value) - low) / span) * barWidth) : 0),
    ticks,
  }
}

/**
 * A value as it reads best in a chart: durations like the terminal tables (`12.3 µs`, `1.25 ms`),
 * other numbers in three significant digits with k, M, G (`45.1 k`, `3.2 M`, `0.42`). Grid line
 * labels (`short`) drop the trailing zeros of durations too.
 */
export function formatValue(value: number, unit: string, short = false): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (value === 0) return '0'
  const factor = toMs[unit]
  if (factor !== undefined) {
    const text = formatDuration(value * factor)
    return short ? trimZeros(text) : text
  }
  const size = Math.abs(value)
  for (const [limit, suffix] of [
    [1e9, ' G'],
    [1e6, ' M'],
    [1e3, ' k'],
  ] as const) {
    if (size >= limit) return `${trimZeros((value / limit).toPrecision(3))}${suffix}`
  }
  if (size >= 1) return Number.isInteger(value) ? String(value) : trimZeros(value.toPrecision(3))
  return trimZeros(value.toPrecision(2))
}

/** `2.00 ms` → `2 ms`, `1.50` → `1.5`; leaves `100` alone. */
function trimZeros(text: string): string {
  return text.replace(/(\.\d*?)0+(?=\D|$)/, '$1').replace(/\.(?=\D|$)/, '')
}

/** A label cut to `max` characters with an ellipsis; the chart gives the full label as a tooltip. */
function truncateLabel(label: string, max: number): string {
  const chars = [...label]
  return chars.length <= max ? label : `${chars.slice(0, max - 1).join('')}…`
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value))
}

/** One decimal: enough for pixels, and keeps the file small and stable. */
function round(value: number): number {
  return Math.round(value * 10) / 10
}
