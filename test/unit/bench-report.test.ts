import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { libraryVersions, machineInfo } from '../../bench/report/machine.js'
import type { Chart, RunInfo, Section } from '../../bench/report/model.js'
import { renderBenchmarksPage, writeBenchmarksPage } from '../../bench/report/page.js'
import { formatValue, renderBarChart } from '../../bench/report/svg-chart.js'

// The benchmark's report (bench/report/): docs/benchmarks.md and its SVG charts, from made-up numbers.

const throughput: Chart = {
  id: 'l1-get',
  title: 'L1 hit vs Redis round trip',
  unit: 'ops/s',
  better: 'higher',
  log: true,
  bars: [
    { label: 'Map', value: 48_000_000, kind: 'baseline' },
    { label: 'flipcache <L1> & "friends"', value: 9_900_000, kind: 'flipcache' },
    { label: 'ioredis GET', value: 45_000, kind: 'baseline' },
    { label: 'slow peer', value: 0.42, kind: 'peer' },
    { label: 'nothing', value: 0, kind: 'peer' },
  ],
}

/** The width of each bar, in the order of the bars that have one. */
function barWidths(svg: string): number[] {
  return [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="16"/g)].map((match) =>
    Number(match[1]),
  )
}

describe('renderBarChart', () => {
  const svg = renderBarChart(throughput)

  it('is a standalone SVG document with a viewBox, a title and a subtitle', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toMatch(/viewBox="0 0 720 \d+"/)
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true)
    expect(svg).toContain('higher is better · ops/s · log scale')
    expect(svg).toContain('sans-serif')
  })

  it('draws one rect per non-zero bar, one per legend kind, and the background', () => {
    const rects = svg.match(/<rect /g) ?? []
    expect(rects).toHaveLength(4 + 3 + 1)
    expect(svg).toContain('>flipcache</text>')
    expect(svg).toContain('>other Node caches</text>')
  })

  it('escapes XML in labels', () => {
    expect(svg).toContain('flipcache &lt;L1&gt; &amp; &quot;friends&quot;')
    expect(svg).not.toContain('<L1>')
  })

  it('orders bars by value on a log scale, values under 1 included, and labels a zero bar "0"', () => {
    const [map, flipcache, ioredis, slow] = barWidths(svg)
    expect(barWidths(svg)).toHaveLength(4)
    expect(map).toBeGreaterThan(flipcache ?? Number.POSITIVE_INFINITY)
    expect(flipcache).toBeGreaterThan(ioredis ?? Number.POSITIVE_INFINITY)
    expect(ioredis).toBeGreaterThan(slow ?? Number.POSITIVE_INFINITY)
    expect(slow).toBeGreaterThan(0)
    expect(svg).toMatch(/>nothing<\/text>\n\s*<text [^>]*>0<\/text>/)
  })

  it('scales linearly unless asked for a log scale', () => {
    const linear = renderBarChart({ ...throughput, log: false, bars: throughput.bars.slice(0, 2) })
    const [map, flipcache] = barWidths(linear)
    expect((map ?? 0) / (flipcache ?? 1)).toBeCloseTo(48 / 9.9, 1)
    expect(linear).not.toContain('log scale')
  })

  it('gives the same bytes for the same chart', () => {
    expect(renderBarChart(structuredClone(throughput))).toBe(svg)
  })

  it('prints values compactly, durations like the terminal tables', () => {
    expect(formatValue(3_210_000, 'ops/s')).toBe('3.21 M')
    expect(formatValue(45_100, 'ops/s')).toBe('45.1 k')
    expect(formatValue(0.42, 'loader calls')).toBe('0.42')
    expect(formatValue(1, 'loader calls')).toBe('1')
    expect(formatValue(0, 'ms')).toBe('0')
    expect(formatValue(1.25, 'ms')).toBe('1.25 ms')
    expect(formatValue(2, 'ms', true)).toBe('2 ms')
    expect(formatValue(Number.NaN, 'ms')).toBe('n/a')
  })
})

const run: RunInfo = {
  date: '2025-01-02 03:04 UTC',
  quick: false,
  durationS: 312,
  command: 'npm run bench',
  rounds: '100 rounds of 1,000 gets',
  machine: {
    cpu: 'Test CPU 9000',
    cores: 8,
    memoryGiB: 31.3,
    os: 'Linux 6.1',
    node: 'v20.20.0',
    redis: '7.4.1',
  },
  versions: [
    { name: 'flipcache-redis', version: '0.1.0' },
    { name: 'bentocache', version: '1.6.1' },
  ],
}

const sections: Section[] = [
  {
    id: 'memory',
    title: 'Redis memory per entry',
    intro: 'Bytes of used_memory per entry.',
    columns: [{ header: 'storage' }, { header: 'bytes / entry', align: 'right' }],
    rows: [
      ['raw JSON', '180'],
      ['flipcache hash | msgpack', '52'],
    ],
    targets: [
      {
        what: 'hash vs raw JSON',
        measured: '0.29×',
        target: '≤ 0.35×',
        pass: true,
      },
    ],
  },
  {
    id: 'l1',
    title: 'L1 hits',
    intro: 'Warm keys read from the in-process LRU.',
    columns: [{ header: 'subject' }, { header: 'ops/s', align: 'right' }],
    rows: [
      ['Map', '48,000,000'],
      ['flipcache localMax 1000', '9,900,000'],
    ],
    notes: ['Ratios are per round.'],
    configs: [{ row: 'flipcache localMax 1000', config: "localMax 1000, localTtl '1h', keyType 'string'." }],
    charts: [throughput],
    targets: [
      {
        what: 'flipcache vs Map',
        measured: '0.21×',
        target: '≥ 0.50×',
        pass: false,
        why: 'every hit checks the TTL',
      },
    ],
  },
]

describe('renderBenchmarksPage', () => {
  const page = renderBenchmarksPage(run, sections)

  it('says how to reproduce the run, and on what', () => {
    expect(page).toContain('npm ci && npm run bench')
    for (const fact of ['2025-01-02 03:04 UTC', 'Test CPU 9000, 8 cores', '31.3 GiB', 'v20.20.0', '7.4.1']) {
      expect(page).toContain(fact)
    }
    expect(page).toContain('5 min 12 s')
    expect(page).toContain('| bentocache | 1.6.1 |')
  })

  it('has every section, in the order of their ids, with every row and the pipes escaped', () => {
    expect(page.indexOf('## L1 hits')).toBeGreaterThan(0)
    expect(page.indexOf('## L1 hits')).toBeLessThan(page.indexOf('## Redis memory per entry'))
    expect(page).toContain('<a id="l1"></a>')
    expect(page).toContain('| Map | 48,000,000 |')
    expect(page).toContain('| flipcache localMax 1000 | 9,900,000 |')
    expect(page).toContain('| raw JSON | 180 |')
    expect(page).toContain('| flipcache hash \\| msgpack | 52 |')
    expect(page).toContain('|---|---:|')
  })

  it('gives the notes, the configuration of each row and the charts', () => {
    expect(page).toContain('- Ratios are per round.')
    expect(page).toContain("- **flipcache localMax 1000**: localMax 1000, localTtl '1h', keyType 'string'.")
    expect(page).toContain('![L1 hit vs Redis round trip](img/l1-get.svg)')
  })

  it('sums up every target, with the why of a miss', () => {
    const summary = page.slice(page.indexOf('## Targets'), page.indexOf('<a id='))
    expect(summary).toContain('1 of 2 targets met; 1 missed.')
    expect(summary).toContain(
      '| ❌ MISS | [L1 hits](#l1) | flipcache vs Map | 0.21× | ≥ 0.50× | every hit checks the TTL |',
    )
    expect(summary).toContain(
      '| ✅ PASS | [Redis memory per entry](#memory) | hash vs raw JSON | 0.29× | ≤ 0.35× |  |',
    )
    expect(page).toContain(
      '- ❌ MISS flipcache vs Map: 0.21× (target ≥ 0.50×). Why: every hit checks the TTL',
    )
  })
})

describe('writeBenchmarksPage', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('writes the page and one SVG per chart into the directory it is given', () => {
    dir = mkdtempSync(join(tmpdir(), 'flipcache-bench-report-'))
    const written = writeBenchmarksPage(run, sections, dir)
    expect(written).toEqual({ page: join(dir, 'benchmarks.md'), charts: [join(dir, 'img', 'l1-get.svg')] })
    expect(readFileSync(written.page, 'utf8')).toBe(renderBenchmarksPage(run, sections))
    expect(readFileSync(join(dir, 'img', 'l1-get.svg'), 'utf8')).toBe(renderBarChart(throughput))
  })

  it('refuses a chart id that is not a plain file name, before writing anything', () => {
    dir = mkdtempSync(join(tmpdir(), 'flipcache-bench-report-'))
    const bad: Section = {
      id: 'bad',
      title: 'Bad',
      intro: '',
      columns: [],
      rows: [],
      charts: [{ ...throughput, id: '../escape' }],
    }
    expect(() => writeBenchmarksPage(run, [bad], dir)).toThrow(/not a safe file name/)
    expect(existsSync(join(dir, 'benchmarks.md'))).toBe(false)
  })
})

describe('machine facts', () => {
  it('describes this machine', () => {
    const machine = machineInfo('7.4.1')
    expect(machine.cores).toBeGreaterThan(0)
    expect(machine.cpu).not.toBe('')
    expect(machine.node).toBe(process.version)
    expect(machine.redis).toBe('7.4.1')
  })

  it('reads installed versions, flipcache-redis from the root package.json', () => {
    const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string
    }
    const [own, tinybench, missing] = libraryVersions([
      'flipcache-redis',
      'tinybench',
      'no-such-package-here',
    ])
    expect(own).toEqual({ name: 'flipcache-redis', version: root.version })
    expect(tinybench?.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(missing).toEqual({ name: 'no-such-package-here', version: 'not installed' })
  })
})
