import { describe, expect, it } from 'vitest'
import { renderBenchmarksPage } from '../../bench/report/page.js'
import { selectScenarios } from '../../bench/support/no-redis.js'
import { carriers, type InvalidationCost, invalidationSection } from '../../bench/tags/invalidate.js'
import { predictedHeaderBytes, tagsOf } from '../../bench/tags/memory.js'
import { tags } from '../../bench/tags.js'
import { withHeader } from '../../src/entry/entry-header.js'
import { writeStamps } from '../../src/tags/tag-stamps.js'

// The `tags` scenario of `npm run bench` (issue 16 §3): what it reports, from made-up numbers; its
// measurements run on Redis in the scenario itself.

describe('bench tags: the header bytes the memory table predicts', () => {
  it.each([[tagsOf(7, 1)], [tagsOf(7, 3)], [['user:7', 'team a']], [['é', 'a,b=c']]])(
    'equal what flipcache writes for %j with counts 0',
    (tagged) => {
      const value = '{"id":7}'
      const stored = withHeader(
        value,
        Number.POSITIVE_INFINITY,
        undefined,
        Number.POSITIVE_INFINITY,
        writeStamps(tagged.map((tag) => ({ tag, hard: 0, soft: 0 }))),
      )
      expect(Buffer.byteLength(stored as string) - value.length).toBe(predictedHeaderBytes(tagged))
    },
  )

  it('is 0 without tags, and the rows carry 1 and 3 distinct tags', () => {
    expect(predictedHeaderBytes([])).toBe(0)
    expect(tagsOf(12_345, 1)).toEqual(['org-45'])
    expect(new Set(tagsOf(12_345, 3)).size).toBe(3)
  })
})

describe('bench tags: the invalidation table and its target', () => {
  const cost = (label: string, entries: number, p50: number, commands: number): InvalidationCost => ({
    label,
    entries,
    p50,
    max: p50 * 2,
    commands,
    redisUsec: 20,
  })
  const flat = carriers.map((entries) => cost('flipcache (L1 + Redis)', entries, 0.4, 4))

  it('passes when the time and commands stay flat as more entries carry the tag', () => {
    const section = invalidationSection(
      [...flat, ...carriers.map((entries) => cost('BentoCache (memory + Redis)', entries, 0.2, 1))],
      20,
      [],
    )
    expect(section.rows).toHaveLength(2 * carriers.length)
    expect(section.rows[0]).toEqual(['flipcache (L1 + Redis)', '10', '400 µs', '800 µs', '4', '20.0'])
    expect(section.targets?.[0]?.pass).toBe(true)
    expect(section.charts?.[0]?.bars.map((bar) => [bar.label, bar.kind])).toEqual([
      ['flipcache (L1 + Redis)', 'flipcache'],
      ['BentoCache (memory + Redis)', 'peer'],
    ])
  })

  it('misses when the time grows with the entries, or the commands do', () => {
    const slower = carriers.map((entries) => cost('flipcache (L1 + Redis)', entries, entries / 1000, 4))
    expect(invalidationSection(slower, 20, []).targets?.[0]).toMatchObject({ pass: false })
    const more = carriers.map((entries) =>
      cost('flipcache (L1 + Redis)', entries, 0.4, entries === 10 ? 4 : 6),
    )
    const missed = invalidationSection(more, 20, []).targets?.[0]
    expect(missed?.pass).toBe(false)
    expect(missed?.why).toMatch(/grew/)
  })

  it('renders on docs/benchmarks.md after the invalidation sections, before memory', () => {
    const page = renderBenchmarksPage(
      {
        date: '2026-01-01',
        quick: false,
        durationS: 1,
        command: 'npm run bench',
        rounds: '1 round',
        machine: { cpu: 'cpu', cores: 2, memoryGiB: 4, os: 'linux', node: 'v20', redis: '7.0.15' },
        versions: [],
      },
      [
        { id: 'memory', title: 'Memory', intro: '', columns: [{ header: 'a' }], rows: [['1']] },
        invalidationSection(flat, 20, []),
        { id: 'invalidation', title: 'Invalidation', intro: '', columns: [{ header: 'a' }], rows: [['1']] },
      ],
    )
    const at = (anchor: string) => page.indexOf(`<a id="${anchor}"></a>`)
    expect(at('invalidation')).toBeGreaterThan(0)
    expect(at('tags-invalidate')).toBeGreaterThan(at('invalidation'))
    expect(at('memory')).toBeGreaterThan(at('tags-invalidate'))
  })
})

describe('bench tags: without Redis', () => {
  it('is skipped, as it measures Redis', () => {
    expect(tags.inProcess).toBeUndefined()
    const { run, skipped } = selectScenarios([tags], ['tags'], false)
    expect(run).toEqual([])
    expect(skipped.map((scenario) => scenario.name)).toEqual(['tags'])
  })
})
