// A drainer that dies mid-batch, for the write-behind crash test: it records each change it is handed
// in the Redis hashes `<source>:values` and `<source>:counts` (the "database", and how many times
// each key reached it), and in batch `crashAt` records half of it, prints `mid-batch`, and hangs
// until the test kills it (kill -9).
// Usage: node write-behind-child.mjs <redisUrl> <flipcache|article> <name> <source> <crashAt>
// `flipcache` drains cache <name>'s writeBehind queue; `article` RPOPs 100 entries at a time from the
// list <name> that the article's write_behind LPUSHes to (JSON { id, data }).
import { Redis } from 'ioredis'
import { FlipCache, type WriteBehindChange } from '../../src/index.js'

const [url, mode, name, source, crashAtText] = process.argv.slice(2)
if (url === undefined || name === undefined || source === undefined || crashAtText === undefined) {
  throw new Error('usage: write-behind-child <redisUrl> <flipcache|article> <name> <source> <crashAt>')
}
const crashAt = Number(crashAtText)
const redis = new Redis(url)
let batches = 0

/** Records `rows` in the source; in batch `crashAt`, half of them, then hangs for good. */
async function record(rows: [key: string, value: string][]): Promise<void> {
  batches++
  const recorded = batches === crashAt ? rows.slice(0, rows.length / 2) : rows
  const pipeline = redis.pipeline()
  for (const [key, value] of recorded) {
    pipeline.hset(`${source}:values`, key, value)
    pipeline.hincrby(`${source}:counts`, key, 1)
  }
  await pipeline.exec()
  if (batches === crashAt) {
    process.stdout.write(`mid-batch ${recorded.length}\n`)
    await new Promise(() => {})
  }
}

if (mode === 'flipcache') {
  const flush = (changes: WriteBehindChange<string, string>[]) =>
    record(changes.map((change) => [change.key, change.op === 'set' ? change.value : '']))
  new FlipCache<string, string>(name, {
    redis,
    valueType: 'string',
    writeBehind: { flush, batchSize: 100, pollInterval: 10, claimAfter: 1000 },
  })
} else {
  for (;;) {
    const popped = await redis.rpop(name, 100)
    if (popped === null) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      continue
    }
    await record(
      popped.map((json) => {
        const { id, data } = JSON.parse(json) as { id: string; data: string }
        return [id, data]
      }),
    )
  }
}
