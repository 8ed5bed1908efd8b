import { seededRandom } from '../../test/support/seeded-random.js'

/** One data set of the memory benchmark: what an entry looks like, and how many the full run writes. */
export interface Shape {
  name: string
  /** One line on the value, for the report. */
  summary: string
  /** Entries written by the full run, and by `--quick`. */
  count: { full: number; quick: number }
  value(id: number): unknown
}

/** The small entry: `{"id":12345,"name":"user-12345","active":false}`, about 45 bytes of JSON. */
export const smallEntries: Shape = {
  name: 'small',
  summary: '`{id, name, active}`, 38 to 47 bytes as JSON',
  count: { full: 100_000, quick: 5_000 },
  value: (id) => ({ id, name: `user-${id}`, active: id % 2 === 0 }),
}

const words =
  'cache redis memory bucket entry value key expire local remote shared instance loader stale fresh hash field string codec compress header read write sync lock token batch pipeline server client node service request response user order product price stock review rating comment account session region zone replica primary cluster shard slot'.split(
    ' ',
  )

/** A document of about 1 KiB of JSON: a few fields and a body of prose from a small vocabulary. */
export const documents: Shape = {
  name: 'document',
  summary: 'a JSON document of about 1 KiB (fields, tags and a body of words)',
  count: { full: 100_000, quick: 2_000 },
  value(id) {
    const random = seededRandom(id + 1)
    const pick = (): string => words[Math.floor(random() * words.length)] ?? 'cache'
    const body: string[] = []
    for (let length = 0; length < 820; length += (body.at(-1)?.length ?? 0) + 1) body.push(pick())
    return {
      id,
      title: `${pick()} ${pick()} ${pick()}`,
      author: { id: id % 997, name: `author-${id % 997}` },
      tags: [pick(), pick(), pick()],
      published: id % 5 !== 0,
      createdAt: new Date(Date.UTC(2025, 0, 1) + id * 60_000).toISOString(),
      body: body.join(' '),
    }
  },
}
