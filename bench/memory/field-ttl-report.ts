import type { Section } from '../report/model.js'
import {
  describeTarget,
  entryColumns,
  leanestLimit,
  markdownTable,
  met,
  ratioToBaseline,
  sharedStructuresOnRedis8,
  type Target,
} from './report.js'
import type { FieldTtlPass } from './server-pass.js'

/**
 * One line per value type: what the default's field TTLs cost per entry over the expiry header
 * (or that the default wrote headers too, when the server or the library did not use field TTLs).
 */
export function fieldTtlCosts(pass: FieldTtlPass): string[] {
  return (['superjson', 'msgpack'] as const).flatMap((valueType) => {
    const row = (suffix: string) =>
      pass.result.rows.find((candidate) => candidate.subject.label.endsWith(`'${valueType}', ${suffix}`))
    const header = row("entryExpiry 'header'")
    const fieldTtls = row("entryExpiry 'auto' (default)")
    if (header === undefined || fieldTtls === undefined) return []
    const difference = fieldTtls.bytesPerEntry - header.bytesPerEntry
    const what =
      fieldTtls.encoding === 'listpackex'
        ? 'field TTLs (listpackex) instead of the 11-byte header'
        : `'auto', stored as ${fieldTtls.encoding} (no field TTLs: the header path)`
    return [
      `'${valueType}': ${what}: ${difference >= 0 ? '+' : ''}${difference.toFixed(1)} B/entry ` +
        `(${header.bytesPerEntry.toFixed(1)} → ${fieldTtls.bytesPerEntry.toFixed(1)})`,
    ]
  })
}

/** Issue 19's target on this server: the `sharedStructures` row with field TTLs, at most 0.22× raw JSON. */
export function fieldTtlTarget(pass: FieldTtlPass): Target | undefined {
  const row = pass.result.rows.find(
    (candidate) => candidate.subject.label === `flipcache ${sharedStructuresOnRedis8}`,
  )
  if (row === undefined) return undefined
  return {
    what: `${sharedStructuresOnRedis8.replace(' (default)', '')} vs raw JSON on ${pass.server}`,
    measured: ratioToBaseline(pass.result, row),
    limit: leanestLimit,
    bound: 'max',
  }
}

/** The target of `fieldTtlTarget` as a section's targets, when the row was measured. */
function targetOf(pass: FieldTtlPass): Pick<Section, 'targets'> {
  const target = fieldTtlTarget(pass)
  if (target === undefined) return {}
  return {
    targets: [
      {
        what: `memory: ${target.what}`,
        measured: `${target.measured.toFixed(3)}×`,
        target: `≤ ${target.limit}×`,
        pass: met(target),
        ...(met(target) ? {} : { why: 'see docs/memory.md for what this layout costs and why' }),
      },
    ],
  }
}

/** The field-TTL table of small entries, for the terminal and docs/benchmarks.md. */
export function fieldTtlSection(pass: FieldTtlPass): Section {
  const { result } = pass
  const count = result.rows[0]?.entries ?? 0
  return {
    id: 'memory-field-ttl',
    title: `Memory on ${pass.server}: ${count.toLocaleString('en-US')} small entries in hash buckets, with and without field TTLs`,
    intro:
      'The small-entries rows of hash storage again, on a server with field TTLs (HSETEX), each with its ' +
      "expiry in an 11-byte header (entryExpiry 'header') and with the default, 'auto' (field TTLs where the " +
      'server has them); × raw JSON against the baseline measured on this same server. Details: docs/memory.md.',
    columns: entryColumns,
    rows: result.rows.map((row) => [
      row.subject.label,
      row.bytesPerEntry.toFixed(1),
      `${ratioToBaseline(result, row).toFixed(3)}×`,
      row.keys.toLocaleString('en-US'),
      row.encoding,
    ]),
    notes: fieldTtlCosts(pass),
    ...targetOf(pass),
  }
}

/** The same, in Markdown, for docs/memory.md. */
export function fieldTtlMarkdown(pass: FieldTtlPass): string {
  const count = pass.result.rows[0]?.entries ?? 0
  return [
    `### ${count.toLocaleString('en-US')} small entries on ${pass.server}: with and without field TTLs`,
    '',
    markdownTable(pass.result),
    '',
    ...fieldTtlCosts(pass).map((line) => `- ${line}`),
    ...[fieldTtlTarget(pass)].flatMap((target) =>
      target === undefined ? [] : [`- ${describeTarget(target)}`],
    ),
  ].join('\n')
}
