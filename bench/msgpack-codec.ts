/**
 * Encode+decode speed of the `'msgpack'` value codec against msgpackr with records (the codec's
 * settings before issue 15), on a small object `{id, name, active}` and on a 50-field object, in one
 * process with tinybench. Not part of `npm run bench`: run it alone,
 *
 *   npx tsx bench/msgpack-codec.ts
 *
 * The "records" rows pack and unpack exactly as the codec did before (msgpackr records, floats for
 * integers past 32 bits, no map conversion), plus the same nesting check the codec makes.
 */
import { C1, Packr } from 'msgpackr'
import { Bench } from 'tinybench'
import { msgpackCodec } from '../src/types/msgpack-codec.js'
import { maxNestingDepth, valueNestsDeeper } from '../src/types/nesting.js'

const records = new Packr({
  moreTypes: true,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  useBigIntExtension: true,
  structuredClone: false,
})

function recordsRoundTrip(value: unknown): unknown {
  const packed = records.pack(value)
  if (packed.length > maxNestingDepth) valueNestsDeeper(value, maxNestingDepth, packed.length)
  const back: unknown = records.unpack(packed)
  if (back === C1) throw new TypeError('0xc1')
  if (packed.length > maxNestingDepth) valueNestsDeeper(back, maxNestingDepth, packed.length)
  return back
}

function codecRoundTrip(value: unknown): unknown {
  return msgpackCodec.decode(msgpackCodec.encode(value) as Buffer)
}

const small = { id: 12345, name: 'Ada Lovelace', active: true }
const wide: Record<string, unknown> = {}
for (let field = 0; field < 50; field++) {
  wide[`field${field}`] =
    field % 3 === 0 ? `value ${field}` : field % 3 === 1 ? field * 1000 : field % 2 === 0
}

const ROUNDS = 9
const cases = [
  ['{id, name, active}', small],
  ['50 fields', wide],
] as const
let sink = 0
const ratios = new Map<string, number[]>()
const rates = new Map<string, number[]>()

/** Operations per second of one task, from tinybench's mean latency. */
function rateOf(bench: Bench, name: string): number {
  const result = bench.getTask(name)?.result
  return result?.state === 'completed' ? 1000 / result.latency.mean : 0
}

// The machine is shared and noisy: each round times both codecs back to back, in alternating order,
// and the report gives the median round.
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, value] of cases) {
    const bench = new Bench({ time: 300, warmup: true })
    const tasks: [string, () => void][] = [
      [`records  ${name}`, () => (sink += recordsRoundTrip(value) === null ? 1 : 0)],
      [`codec    ${name}`, () => (sink += codecRoundTrip(value) === null ? 1 : 0)],
    ]
    for (const [task, fn] of round % 2 === 0 ? tasks : tasks.reverse()) bench.add(task, fn)
    await bench.run()
    const records = rateOf(bench, `records  ${name}`)
    const codec = rateOf(bench, `codec    ${name}`)
    rates.set(`records  ${name}`, [...(rates.get(`records  ${name}`) ?? []), records])
    rates.set(`codec    ${name}`, [...(rates.get(`codec    ${name}`) ?? []), codec])
    ratios.set(name, [...(ratios.get(name) ?? []), codec / records])
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

for (const [task, values] of rates) {
  console.log(
    `${task.padEnd(30)} ${Math.round(median(values)).toLocaleString('en').padStart(12)} encode+decode/s`,
  )
}
for (const [name, values] of ratios) {
  const range = `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`
  console.log(
    `codec / records, ${name}: median ${median(values).toFixed(2)} over ${ROUNDS} rounds (${range})`,
  )
}

// The same work timed by the CPU time this process spent on it (process.cpuUsage), which other
// processes on a loaded machine disturb less than wall time.
const cpu = new Map<string, number[]>()
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, value] of cases) {
    const iterations = name === '50 fields' ? 2_000 : 40_000
    const pair: [string, (value: unknown) => unknown][] = [
      ['records', recordsRoundTrip],
      ['codec', codecRoundTrip],
    ]
    for (const [codec, roundTrip] of round % 2 === 0 ? pair : pair.reverse()) {
      const start = process.cpuUsage()
      for (let i = 0; i < iterations; i++) sink += roundTrip(value) === null ? 1 : 0
      const used = process.cpuUsage(start)
      const micros = (used.user + used.system) / iterations
      cpu.set(`${codec} ${name}`, [...(cpu.get(`${codec} ${name}`) ?? []), micros])
    }
  }
}
for (const [name] of cases) {
  const records = median(cpu.get(`records ${name}`) ?? [])
  const codec = median(cpu.get(`codec ${name}`) ?? [])
  console.log(
    `CPU µs per encode+decode, ${name}: records ${records.toFixed(2)}, codec ${codec.toFixed(2)}: codec / records speed ${(records / codec).toFixed(2)}`,
  )
}
if (sink < 0) console.log(sink)
