// Measures what hostile stored values and keys cost a reader, for issue 12 (section 4): how long
// the event loop is blocked, how far RSS rises, what stays in memory, and what the read returns.
// Each scenario runs in a child process of its own, so that one's memory does not blur another's.
//
// Run: npx tsx bench/probes/hostile-values.ts [scenario...]   (a few minutes; not part of npm run bench)
// Against another copy of the sources (the code before a change, say):
//   FLIPCACHE_SRC=/path/to/src/index.ts npx tsx bench/probes/hostile-values.ts
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { Redis } from 'ioredis'
import type { FlipCacheOptions } from '../../src/index.js'
import {
  compressedSpaces,
  cyclicMsgpack,
  invalidUtf8,
  markedBrotliBomb,
  markedCompressed,
  nestedArray,
  nestedJson,
} from '../../test/support/hostile-data.js'
import { watchLoopBlocks } from '../../test/support/loop-blocks.js'
import { startRedisServer } from '../../test/support/redis-server.js'

const MiB = 2 ** 20

/** What a scenario does with its cache: reads that may fail, timed one by one. */
interface Cache {
  get(key: unknown): Promise<unknown>
  peek(key: unknown): unknown
  on(event: 'error', listener: (error: { code?: string }) => void): unknown
  close(): Promise<void>
  ready(): Promise<void>
}

interface Scenario {
  /** What the reviewer measured, for the table. */
  what: string
  options: FlipCacheOptions<unknown, unknown>
  /** Options of the newer code only: left out where the code under test does not know them. */
  newOptions?: FlipCacheOptions<unknown, unknown>
  /** Writes the hostile data with a raw client (in the parent); returns nothing. */
  store?: (raw: Redis, key: (suffix: string) => string) => Promise<void>
  /** The keys to read, once each, in order. */
  reads: () => unknown[]
}

const scenarios: Record<string, Scenario> = {
  control: {
    what: 'control: a 100-byte JSON value, json (L1 off)',
    options: { valueType: 'json', localMax: 0 },
    store: (raw, key) => raw.set(key('small'), JSON.stringify('x'.repeat(98))).then(() => {}),
    reads: () => ['small', 'small', 'small'],
  },
  'brotli-1gib-superjson': {
    what: '1,681-byte brotli bomb (1 GiB), superjson with compress',
    options: { compress: { algorithm: 'brotli' } },
    store: (raw, key) => raw.set(key('bomb'), markedBrotliBomb).then(() => {}),
    reads: () => ['bomb', 'bomb', 'bomb'],
  },
  'brotli-1gib-msgpack': {
    what: 'the same bomb, msgpack, compress off',
    options: { valueType: 'msgpack' },
    store: (raw, key) => raw.set(key('bomb'), markedBrotliBomb).then(() => {}),
    reads: () => ['bomb', 'bomb', 'bomb'],
  },
  'brotli-1gib-bytes': {
    what: 'the same bomb, bytes, compress off (L1 on)',
    options: { valueType: 'bytes' },
    store: (raw, key) => raw.set(key('bomb'), markedBrotliBomb).then(() => {}),
    reads: () => ['bomb', 'bomb', 'bomb'],
  },
  'gzip-256mib-json': {
    what: 'gzip bomb (256 MiB), json with compress',
    options: { valueType: 'json', compress: {} },
    store: (raw, key) => raw.set(key('bomb'), compressedSpaces('g', 256 * MiB)).then(() => {}),
    reads: () => ['bomb', 'bomb', 'bomb'],
  },
  'raw-100mb-superjson': {
    what: 'a 100 MB JSON string value, superjson (L1 on)',
    options: {},
    store: (raw, key) => raw.set(key('big'), `"${'x'.repeat(100_000_000 - 2)}"`).then(() => {}),
    reads: () => ['big', 'big', 'big'],
  },
  'json-nested-1e6': {
    what: 'JSON arrays nested 1e6 deep, json',
    options: { valueType: 'json' },
    store: (raw, key) => raw.set(key('deep'), nestedJson(1_000_000)).then(() => {}),
    reads: () => ['deep'],
  },
  'msgpack-nested-1e6': {
    what: 'MessagePack arrays nested 1e6 deep, msgpack',
    options: { valueType: 'msgpack' },
    store: (raw, key) =>
      raw
        .set(key('deep'), Buffer.concat([Buffer.alloc(1_000_000, 0x91), Buffer.from([0x90])]))
        .then(() => {}),
    reads: () => ['deep'],
  },
  'superjson-quadratic-meta': {
    what: 'a 469 KB superjson envelope: one 20,000-segment path, 20,000 annotations below it',
    options: {},
    store: (raw, key) => raw.set(key('meta'), quadraticSuperjson(20_000, 20_000)).then(() => {}),
    reads: () => ['meta'],
  },
  'json-1mib-compressed': {
    what: 'the largest value the default allows: 1 MiB of JSON records, gzip, json with compress',
    options: { valueType: 'json', compress: {} },
    store: (raw, key) =>
      raw.set(key('records'), markedCompressed('g', gzipSync(records(MiB)))).then(() => {}),
    reads: () => ['records', 'records', 'records'],
  },
  'float-100kb': {
    what: "a 100 KB stored 'float' (digits, then 'x')",
    options: { valueType: 'float' },
    store: (raw, key) => raw.set(key('f'), `${'1'.repeat(99_999)}x`).then(() => {}),
    reads: () => ['f'],
  },
  'key-float-60k': {
    what: "a 60,000-character keyType 'float' key",
    options: { keyType: 'float', valueType: 'string' },
    reads: () => [`${'1'.repeat(59_999)}x`],
  },
  'key-bigint-1m': {
    what: "a 1,000,000-digit keyType 'bigint' key",
    options: { keyType: 'bigint', valueType: 'string' },
    reads: () => ['7'.repeat(1_000_000)],
  },
  'key-json-nested': {
    what: "a keyType 'json' key nested 100,000 deep",
    options: { keyType: 'json', valueType: 'string' },
    reads: () => [nestedArray(100_000)],
  },
  'missed-100kb-keys': {
    what: '2,000 reads of distinct missing 100 KB keys',
    options: { valueType: 'string' },
    reads: () => Array.from({ length: 2000 }, (_, index) => `${index}:`.padEnd(100_000, 'k')),
  },
  'missed-100kb-keys-allowed': {
    what: 'the same, with maxKeyLength: 100000 (new code)',
    options: { valueType: 'string' },
    newOptions: { maxKeyLength: 100_000 },
    reads: () => Array.from({ length: 2000 }, (_, index) => `${index}:`.padEnd(100_000, 'k')),
  },
  'msgpack-cycle': {
    what: 'msgpackr structured-clone data holding a cycle, msgpack',
    options: { valueType: 'msgpack' },
    store: (raw, key) => raw.set(key('loop'), cyclicMsgpack()).then(() => {}),
    reads: () => ['loop'],
  },
  'invalid-utf8': {
    what: "bytes 61 ff 62 (not UTF-8), 'string'",
    options: { valueType: 'string' },
    store: (raw, key) => raw.set(key('s'), invalidUtf8).then(() => {}),
    reads: () => ['s'],
  },
}

/** A superjson envelope whose metadata costs superjson time quadratic in its size. */
function quadraticSuperjson(segments: number, annotations: number): string {
  const path = Array.from({ length: segments }, () => 'a').join('.')
  const below = Object.fromEntries(Array.from({ length: annotations }, (_, index) => [index, ['undefined']]))
  return JSON.stringify({ json: {}, meta: { values: { [path]: ['map', below] }, v: 1 } })
}

/** A JSON array of small records, `bytes` long at most. */
function records(bytes: number): Buffer {
  const items: string[] = []
  let length = 2
  for (let id = 0; ; id++) {
    const item = JSON.stringify({ id, name: `user ${id}`, tags: ['a', 'b'], score: id * 1.5, active: true })
    if (length + item.length + 1 > bytes) break
    items.push(item)
    length += item.length + 1
  }
  return Buffer.from(`[${items.join(',')}]`)
}

interface Measured {
  outcome: string
  reads: number
  slowestReadMs: number
  /** The longest the event loop went without running a 1 ms timer. */
  maxBlockMs: number
  /** Peak RSS of the process minus its RSS before the reads (MB). */
  peakRssMb: number
  /** RSS, heap and external memory still held after the reads and two GCs (MB). */
  keptRssMb: number
  keptHeapMb: number
  keptExternalMb: number
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'miss'
  if (Buffer.isBuffer(value)) return `Buffer(${value.length})`
  if (typeof value === 'string') return value.length > 12 ? `string(${value.length})` : JSON.stringify(value)
  if (typeof value === 'object' && value !== null && 'self' in value)
    return (value as { self: unknown }).self === value ? 'a cyclic object' : 'an object'
  if (Array.isArray(value)) return 'an array'
  return String(value)
}

/**
 * Starts counting the peak RSS afresh (Linux: VmHWM, reset through /proc/self/clear_refs). The
 * rusage maxRSS will not do: a child inherits its parent's peak at exec, and the parent made the data.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5')
    return true
  } catch {
    return false
  }
}

function peakRss(reset: boolean): number {
  if (reset) {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))
    if (match !== null) return Number(match[1]) * 1024
  }
  return process.resourceUsage().maxRSS * 1024
}

async function child(name: string, url: string, namespace: string): Promise<void> {
  const scenario = scenarios[name] as Scenario
  const source = process.env.FLIPCACHE_SRC ?? '../../src/index.js'
  const { FlipCache } = (await import(source)) as typeof import('../../src/index.js')
  const gc = globalThis.gc as () => void
  const open = (extra: FlipCacheOptions<unknown, unknown> | undefined) =>
    new FlipCache(namespace, { redis: url, sync: 'none', ...scenario.options, ...extra }) as unknown as Cache
  let cache: Cache
  try {
    cache = open(scenario.newOptions)
  } catch (error) {
    if (!/Unknown option/.test((error as Error).message)) throw error
    cache = open(undefined)
  }
  const codes: string[] = []
  cache.on('error', (error) => codes.push(error.code ?? 'error'))
  await cache.ready()
  // A first read pays for connecting and compiling: not the hostile data's doing.
  await cache.get(typeof scenario.reads()[0] === 'string' ? 'warm-up' : 1).catch(() => {})
  const keys = scenario.reads()
  gc()
  gc()
  const before = process.memoryUsage()
  const reset = resetPeakRss()
  const blocks = watchLoopBlocks()
  const outcomes = new Set<string>()
  let slowestReadMs = 0
  for (const key of keys) {
    const started = performance.now()
    try {
      outcomes.add(describeValue(await cache.get(key)))
    } catch (error) {
      outcomes.add(`${(error as Error).name}: ${(error as Error).message.slice(0, 60)}`)
    }
    slowestReadMs = Math.max(slowestReadMs, performance.now() - started)
    // Lets the timer run between reads, so that each read's block is seen on its own.
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const maxBlockMs = blocks.stop()
  const peak = peakRss(reset)
  const inL1 = keys.some((key) => {
    try {
      return cache.peek(key) !== undefined
    } catch {
      return false
    }
  })
  gc()
  gc()
  const after = process.memoryUsage()
  const mb = (bytes: number) => Math.round((bytes / MiB) * 10) / 10
  if (codes.length > 0) outcomes.add(`reported ${[...new Set(codes)].join(', ')}`)
  if (inL1) outcomes.add('kept in L1')
  const measured: Measured = {
    outcome: [...outcomes].join('; '),
    reads: keys.length,
    slowestReadMs: Math.round(slowestReadMs),
    maxBlockMs: Math.round(maxBlockMs),
    peakRssMb: mb(peak - before.rss),
    keptRssMb: mb(after.rss - before.rss),
    keptHeapMb: mb(after.heapUsed - before.heapUsed),
    keptExternalMb: mb(after.external - before.external),
  }
  await cache.close()
  process.stdout.write(`RESULT ${JSON.stringify(measured)}\n`)
}

function runChild(name: string, url: string, namespace: string): Promise<Measured | string> {
  const file = fileURLToPath(import.meta.url)
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', file, '--child', name, url, namespace],
      { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    )
    let out = ''
    let err = ''
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    proc.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    proc.on('exit', (code, signal) => {
      const line = out.split('\n').find((each) => each.startsWith('RESULT '))
      if (line !== undefined) resolve(JSON.parse(line.slice(7)) as Measured)
      else
        resolve(
          `child exited (${signal ?? code}): ${err.trim().split('\n').slice(-3).join(' / ').slice(0, 200)}`,
        )
    })
  })
}

async function main(names: string[]): Promise<void> {
  const server = await startRedisServer()
  const raw = new Redis(server.url)
  const rows: string[] = []
  try {
    for (const name of names.length > 0 ? names : Object.keys(scenarios)) {
      const scenario = scenarios[name]
      if (scenario === undefined) throw new TypeError(`Unknown scenario '${name}'`)
      const namespace = `hostile-${name}`
      await scenario.store?.(raw, (suffix) => `${namespace}:${suffix}`)
      const result = await runChild(name, server.url, namespace)
      await raw.flushall()
      const row =
        typeof result === 'string'
          ? `| ${scenario.what} | ${result} | | | | |`
          : `| ${scenario.what} | ${result.outcome} | ${result.maxBlockMs} ms (slowest of ${result.reads} reads: ${result.slowestReadMs} ms) | ${result.peakRssMb} MB | ${result.keptRssMb} MB (heap ${result.keptHeapMb}, external ${result.keptExternalMb}) |`
      console.error(row)
      rows.push(row)
    }
  } finally {
    raw.disconnect()
    await server.stop()
  }
  console.log(
    `| hostile data | outcome | event loop blocked, at most | peak RSS rise | still held after GC |\n|---|---|--:|--:|--:|`,
  )
  for (const row of rows) console.log(row)
}

const args = process.argv.slice(2)
if (args[0] === '--child') await child(args[1] as string, args[2] as string, args[3] as string)
else await main(args)
