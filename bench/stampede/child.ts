// One process of the two-process stampede. Usage:
//   node --import tsx bench/stampede/child.ts <subject id> <redisUrl> <namespace> <key> <callers> <loaderMs>
// Opens the subject, prints "ready", waits for a line on stdin (so that both processes start
// together), runs <callers> concurrent getOrSet calls on <key>, prints one line
// "result <json>" with its loader calls, the values' names and each caller's latency in ms, and
// closes its instance on the next line (or the end of stdin).
import { createInterface } from 'node:readline'
import { peers } from '../peers/index.js'
import { runCallers } from './callers.js'
import { stampedeSubjects } from './subjects.js'

const [id, redisUrl, namespace, key, callers, loaderMs] = process.argv.slice(2)
const subject = stampedeSubjects(peers).find((each) => each.id === id)
if (subject === undefined || !redisUrl || !namespace || !key || !callers || !loaderMs) {
  throw new Error('usage: child.ts <subject id> <redisUrl> <namespace> <key> <callers> <loaderMs>')
}
const instance = await subject.open(redisUrl, namespace)
const input = createInterface({ input: process.stdin })
const lines = input[Symbol.asyncIterator]()
process.stdout.write('ready\n')
await lines.next()
const outcome = await runCallers([instance], key, Number(callers), Number(loaderMs))
process.stdout.write(`result ${JSON.stringify(outcome)}\n`)
// Closed once the parent has read the server's counters after the stampede.
await lines.next()
input.close()
await instance.close()
