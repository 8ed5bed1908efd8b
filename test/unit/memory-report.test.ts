import { describe, expect, it } from 'vitest'
import type { MemoryRow } from '../../bench/memory/measure-memory.js'
import {
  barChart,
  describeTarget,
  markdownTable,
  type ShapeResult,
  targets,
} from '../../bench/memory/report.js'
import { smallEntries } from '../../bench/memory/shapes.js'
import type { Subject } from '../../bench/memory/subjects.js'

// The memory benchmark's report (bench/memory/): what it writes into docs/memory.md, from made-up rows.
function row(label: string, group: Subject['group'], bytesPerEntry: number, keys = 100): MemoryRow {
  const subject: Subject = {
    label,
    group,
    open: () => Promise.reject(new Error('not opened in this test')),
  }
  return { subject, entries: 100, bytesPerEntry, keys, encoding: 'listpack' }
}

const result: ShapeResult = {
  shape: smallEntries,
  rows: [
    row('raw JSON strings (ioredis SET PX)', 'baseline', 200),
    row("flipcache string, valueType 'json'", 'flipcache', 200),
    row("flipcache string, valueType 'superjson' (default)", 'flipcache', 206),
    row("flipcache string, valueType 'msgpack'", 'flipcache', 180),
    row("flipcache hash 100/bucket, 'msgpack'", 'flipcache', 64, 1),
    row("flipcache hash 1000/bucket, 'msgpack'", 'flipcache', 58, 1),
    row("flipcache hash 100/bucket, 'msgpack', sharedStructures", 'flipcache', 46, 2),
    row('BentoCache <defaults> & more', 'peer', 300),
  ],
}

describe('the memory report', () => {
  it('judges each target of the issue against the baseline of the same run', () => {
    const judged = targets(result).map(describeTarget)
    expect(judged).toEqual([
      "PASS: string, 'msgpack' vs raw JSON 0.900× (target ≤ 0.95×)",
      "MISS: string, 'superjson' vs raw JSON 1.030× (target ≤ 1.02×)",
      "PASS: hash 100/bucket, 'msgpack' vs raw JSON 0.320× (target ≤ 0.35×)",
      'PASS: best hash configuration vs raw JSON 0.230× (target ≤ 0.3×)',
      "MISS: hash 100/bucket, 'msgpack', sharedStructures vs raw JSON 0.230× (target ≤ 0.22×)",
      "PASS: BentoCache's default vs flipcache's leanest 6.522× (target ≥ 4×)",
    ])
  })

  it('writes a Markdown table with the ratio to raw JSON of every row', () => {
    const table = markdownTable(result).split('\n')
    expect(table[0]).toBe('| storage | bytes / entry | × raw JSON | Redis keys | encoding |')
    expect(table[2]).toBe('| raw JSON strings (ioredis SET PX) | 200.0 | 1.000 | 100 | listpack |')
    expect(table[7]).toBe("| flipcache hash 1000/bucket, 'msgpack' | 58.0 | 0.290 | 1 | listpack |")
    expect(table).toHaveLength(2 + result.rows.length)
  })

  it('draws one bar per row, longest for the largest, with a title and escaped labels', () => {
    const svg = barChart(result, 'Bytes <per> entry')
    expect(svg).toContain('<title>Bytes &#60;per&#62; entry</title>')
    expect(svg).toContain('BentoCache &#60;defaults&#62; &#38; more')
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((match) =>
      Number(match[1]),
    )
    expect(widths).toHaveLength(result.rows.length)
    expect(Math.max(...widths)).toBe(widths[7])
    expect(widths[5]).toBeCloseTo((58 / 300) * (widths[7] ?? 0), 1)
  })
})
