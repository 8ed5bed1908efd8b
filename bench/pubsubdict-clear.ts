/**
 * What `pubsubDict: true` costs clear(): each removed key is also published on redis_pubsub_dict's
 * `<name>/delete`, one PUBLISH per key, in the pipeline of its batch's UNLINK. Fills `keys` keys,
 * clears them, `runs` times with the option and without, and prints the median time, round trips
 * and commands of each. Against a Redis you started (it writes `bench-psd-*` keys):
 *
 *   npx tsx bench/pubsubdict-clear.ts redis://127.0.0.1:6390 [keys=10000] [runs=7]
 */
import { Redis } from 'ioredis'
import { FlipCache } from '../src/index.js'
import { countRoundTrips } from '../test/support/round-trip-counter.js'

const [url = 'redis://127.0.0.1:6379', keysArg = '10000', runsArg = '7'] = process.argv.slice(2)
const keyCount = Number(keysArg)
const runs = Number(runsArg)

interface Run {
  ms: number
  roundTrips: number
  commands: number
}

/** Commands the server processed so far (INFO stats). */
async function processed(client: Redis): Promise<number> {
  const info = await client.info('stats')
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1])
}

async function clearOnce(pubsubDict: boolean, localMax: number): Promise<Run> {
  const client = new Redis(url)
  const filler = new Redis(url)
  const name = `bench-psd-${pubsubDict ? 'on' : 'off'}`
  const cache = new FlipCache<string, unknown>(name, {
    redis: client,
    valueType: 'msgpack',
    pubsubDict,
    localMax,
  })
  const separator = pubsubDict ? '/' : ':'
  const fill = filler.pipeline()
  for (let index = 0; index < keyCount; index++) fill.set(`${name}${separator}k${index}`, '\x01')
  await fill.exec()
  await cache.get('warm-up')
  const before = await processed(filler)
  const traffic = countRoundTrips(client)
  const started = performance.now()
  await cache.clear()
  const ms = performance.now() - started
  const roundTrips = traffic.count
  // Less the INFO itself.
  const commands = (await processed(filler)) - before - 1
  const left = await filler.dbsize()
  await cache.close()
  client.disconnect()
  filler.disconnect()
  if (left !== 0) throw new Error(`clear() left ${left} keys`)
  return { ms, roundTrips, commands }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

// L1 off (sync 'none': nothing subscribed) and on (sync 'pubsub': the cache hears its own deletes back).
const results: Record<string, Run[]> = {
  'off, localMax 0': [],
  'on, localMax 0': [],
  'off, localMax 1000': [],
  'on, localMax 1000': [],
}
for (let run = 0; run < runs; run++) {
  for (const localMax of [0, 1000]) {
    results[`off, localMax ${localMax}`]?.push(await clearOnce(false, localMax))
    results[`on, localMax ${localMax}`]?.push(await clearOnce(true, localMax))
  }
}
console.log(`clear() of ${keyCount} keys, median of ${runs} runs (${url})`)
for (const [label, list] of Object.entries(results)) {
  const last = list[list.length - 1] as Run
  console.log(
    `pubsubDict ${label.padEnd(18)}: ${median(list.map((each) => each.ms)).toFixed(1)} ms, ${last.roundTrips} round trips, ${last.commands} commands`,
  )
}
