import type { Section } from '../report/model.js'
import { addedPerEntry, type ExpiredUnreadRow, heldPerEntry } from './expired-plan.js'

const headers = [
  'server',
  'option',
  'expiry kept in',
  'encoding',
  'short TTL',
  'B/entry while live',
  'B/entry after expiry',
  'fields left',
  'gone by',
]

function cells(row: ExpiredUnreadRow): string[] {
  const total = row.longLived + row.shortLived
  return [
    row.server,
    row.option,
    row.path,
    row.encoding,
    `${row.shortTtlMs / 1000} s`,
    addedPerEntry(row).toFixed(1),
    heldPerEntry(row).toFixed(1),
    `${row.fieldsLeft.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}`,
    !row.settled
      ? 'did not settle'
      : row.fieldsLeft === total
        ? 'none removed'
        : `TTL + ${(row.expiryMs / 1000).toFixed(1)} s`,
  ]
}

/** The "expired, never read" table for the terminal and docs/benchmarks.md. */
export function expiredSection(rows: ExpiredUnreadRow[]): Section {
  const first = rows[0]
  const counts =
    first === undefined
      ? ''
      : `${first.shortLived.toLocaleString('en-US')} short-lived entries beside ${first.longLived.toLocaleString('en-US')} of 1 h, `
  return {
    id: 'memory-expired',
    title: `Memory: expired, never read (${counts}buckets of 100)`,
    intro:
      'Short-lived entries written once into hash buckets that long-lived entries keep alive, and never read ' +
      'again: used_memory with the long-lived entries alone, with both, and once the short TTL has passed and ' +
      "the server's active expiry has settled (per short-lived entry); gone by: when the field counts stopped " +
      'falling, after the last short TTL ended. Details: docs/memory.md.',
    columns: headers.map((header, index) => ({ header, ...(index >= 5 ? { align: 'right' as const } : {}) })),
    rows: rows.map(cells),
  }
}

/** The same table in Markdown, for docs/memory.md. */
export function expiredMarkdown(rows: ExpiredUnreadRow[]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map((_, index) => (index >= 5 ? '--:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${cells(row).join(' | ')} |`),
  ].join('\n')
}
