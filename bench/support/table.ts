import { progress } from './progress.js'

export type Align = 'left' | 'right'

export interface Column {
  header: string
  align?: Align
}

/** Prints a titled, aligned text table, and the notes under it. */
export function printTable(title: string, columns: Column[], rows: string[][], notes: string[] = []): void {
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)),
  )
  const line = (cells: string[]): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? ''
        const width = widths[index] ?? 0
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width)
      })
      .join('  ')
      .trimEnd()
  const rule = widths.map((width) => '─'.repeat(width)).join('  ')
  progress.clear()
  console.log(`\n${title}`)
  console.log(line(columns.map((column) => column.header)))
  console.log(rule)
  for (const row of rows) console.log(line(row))
  for (const note of notes) console.log(`  ${note}`)
}
