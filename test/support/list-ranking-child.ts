// A separate process that pushes to a FlipList or increments a FlipRanking, for the tests of their
// atomicity across processes. Usage (the tests run it bundled by child-scripts.ts):
//   node list-ranking-child.mjs <redisUrl> push <listName> <maxLength> <label> <count>
//   node list-ranking-child.mjs <redisUrl> increment <rankingName> <members> <count>
// It prints `ready`, waits for `go` on stdin (so both children start together), runs `count`
// operations (batches of 20 in flight), then prints `done`.
import { once } from 'node:events'
import { Redis } from 'ioredis'
import { FlipList, FlipRanking } from '../../src/index.js'

const [url, mode, name, size, labelOrCount, countArg] = process.argv.slice(2)
if (url === undefined || name === undefined || size === undefined || labelOrCount === undefined) {
  throw new Error('usage: list-ranking-child <redisUrl> push|increment <name> ...')
}
const redis = new Redis(url)
const inFlight = 20

async function inBatches(count: number, run: (index: number) => Promise<unknown>): Promise<void> {
  for (let first = 0; first < count; first += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, count - first) }, (_, offset) =>
      run(first + offset),
    )
    await Promise.all(batch)
  }
}

process.stdout.write('ready\n')
await once(process.stdin, 'data')
if (mode === 'push') {
  const list = new FlipList(name, { redis, maxLength: Number(size), valueType: 'string' })
  // Each batch's pushes leave in one pipeline, in order: the label's numbers land in order.
  await inBatches(Number(countArg), (index) => list.push('feed', `${labelOrCount}:${index}`))
  await list.close()
} else if (mode === 'increment') {
  const ranking = new FlipRanking(name, { redis })
  const members = Number(size)
  await inBatches(Number(labelOrCount), (index) => ranking.increment('board', `m${index % members}`))
  await ranking.close()
} else {
  throw new Error(`unknown mode ${mode}`)
}
process.stdout.write('done\n')
redis.disconnect()
process.stdin.destroy()
