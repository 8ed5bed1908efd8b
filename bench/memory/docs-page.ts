import { readFileSync, writeFileSync } from 'node:fs'
import type { ExpiredUnreadRow } from './expired-plan.js'
import { expiredMarkdown } from './expired-report.js'
import { fieldTtlMarkdown } from './field-ttl-report.js'
import { barChart, describeTarget, markdownTable, type ShapeResult, type Target } from './report.js'
import type { FieldTtlPass } from './server-pass.js'

const page = new URL('../../docs/memory.md', import.meta.url)
const start = '<!-- memory-results:start -->'
const end = '<!-- memory-results:end -->'

/** What the page says about the run that produced it. */
export interface RunFacts {
  node: string
  redis: string
  settings: Record<string, string>
}

/** The rows about expiry: the field-TTL pass (or why it was skipped) and "expired, never read". */
export interface ExpiryResults {
  fieldTtl: FieldTtlPass | { skipped: string }
  expired: ExpiredUnreadRow[]
}

/**
 * Rewrites the generated part of docs/memory.md (between its markers) with this run's tables and
 * targets, and writes one SVG chart per shape next to it. The hand-written parts stay as they are.
 */
export function writeMemoryPage(
  results: ShapeResult[],
  goals: Target[],
  facts: RunFacts,
  expiry: ExpiryResults,
): string[] {
  const text = readFileSync(page, 'utf8')
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`docs/memory.md lacks the ${start} … ${end} markers`)
  const written: string[] = []
  const sections = results.map((result) => {
    const chart = `memory-${result.shape.name}.svg`
    const count = result.rows[0]?.entries ?? 0
    writeFileSync(
      new URL(chart, page),
      barChart(
        result,
        `Redis used_memory per entry, ${count.toLocaleString('en-US')} ${result.shape.name} entries`,
      ),
    )
    written.push(`docs/${chart}`)
    return [
      `### ${count.toLocaleString('en-US')} entries: ${result.shape.summary}`,
      '',
      markdownTable(result),
      '',
      `![Bytes per entry, ${result.shape.name} entries](${chart})`,
    ].join('\n')
  })
  const generated = [
    start,
    `Measured by \`npm run bench -- --only memory\` on Node ${facts.node} and Redis ${facts.redis}`,
    `(server defaults: ${Object.entries(facts.settings)
      .map(([setting, value]) => `\`${setting} ${value}\``)
      .join(', ')}; the 1000-per-bucket rows raise \`hash-max-listpack-entries\` to 1024).`,
    '',
    ...sections.flatMap((section) => [section, '']),
    'Targets of the issue, on the small entries:',
    '',
    ...goals.map((goal) => `- ${describeTarget(goal)}`),
    '',
    ...expirySections(expiry),
    end,
  ].join('\n')
  writeFileSync(page, text.slice(0, from) + generated + text.slice(to + end.length))
  written.unshift('docs/memory.md')
  return written
}

function expirySections({ fieldTtl, expired }: ExpiryResults): string[] {
  const first = expired[0]
  const scale =
    first === undefined
      ? ''
      : `: ${first.shortLived.toLocaleString('en-US')} short-lived entries beside ` +
        `${first.longLived.toLocaleString('en-US')} of 1 hour, 100 per bucket, \`'msgpack'\``
  return [
    'skipped' in fieldTtl
      ? `### With and without field TTLs\n\nNot measured in this run: ${fieldTtl.skipped}.`
      : fieldTtlMarkdown(fieldTtl),
    '',
    `### Expired, never read${scale}`,
    '',
    expiredMarkdown(expired),
  ]
}
