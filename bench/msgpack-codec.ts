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

const bench = new Bench({ time: 1000, warmup: true })
let sink = 0
for (const [name, value] of [
  ['{id, name, active}', small],
  ['50 fields', wide],
] as const) {
  bench.add(`records  ${name}`, () => {
    sink += recordsRoundTrip(value) === null ? 1 : 0
  })
  bench.add(`codec    ${name}`, () => {
    sink += codecRoundTrip(value) === null ? 1 : 0
  })
}
await bench.run()
const rate = new Map<string, number>()
for (const task of bench.tasks) {
  const result = task.result
  const hz = result?.state === 'completed' ? 1000 / result.latency.mean : 0
  rate.set(task.name, hz)
  console.log(`${task.name.padEnd(30)} ${Math.round(hz).toLocaleString('en').padStart(12)} encode+decode/s`)
}
for (const name of ['{id, name, active}', '50 fields']) {
  const ratio = (rate.get(`codec    ${name}`) ?? 0) / (rate.get(`records  ${name}`) ?? 1)
  console.log(`codec / records, ${name}: ${ratio.toFixed(2)}`)
}
if (sink < 0) console.log(sink)
