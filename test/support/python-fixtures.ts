import { readFileSync } from 'node:fs'

/**
 * Fixtures of what the Python libraries flipcache descends from write to Redis and read from it
 * (`test/fixtures/python/*.json`, recorded by `scripts/python/`; see the README there). The tests
 * that use them need no Python.
 *
 * A fixture file is `{ "library": "...", "recorded": "how", "cases": [case, ...] }`. A case names
 * the Python expression, the bytes the library stored for it (hex), the value flipcache reads from
 * them (tagged JSON, below), and, where it differs from the Python bytes, what flipcache writes for
 * that value (hex; the recording script checked that Python reads it back as the expression).
 *
 * Tagged JSON, for values plain JSON cannot hold: `{"$bigint": "123"}`, `{"$bytes": "00ff"}`,
 * `{"$number": "NaN" | "Infinity" | "-Infinity" | "-0"}`, `{"$map": [[key, value], ...]}`,
 * `{"$undefined": true}`; `{"$object": {...}}` is an object whose keys start with `$`.
 */
export interface PythonCase {
  /** A name for the test. */
  name: string
  /** The Python expression (or statement) that wrote it, e.g. `msgpack.packb(2**40)`. */
  python: string
  /** The Redis key the library wrote, when the case is about keys. */
  key?: string
  /** The bytes the Python library stored, hex. */
  pythonBytes: string
  /** The value flipcache reads from `pythonBytes` (tagged JSON); absent when it is a miss or an error. */
  js?: unknown
  /** What flipcache writes for `js`, hex, when not `pythonBytes` (Python was checked to read it). */
  tsBytes?: string
  /** Anything else the case needs (options, channel, ...). */
  [extra: string]: unknown
}

export interface PythonFixture {
  library: string
  recorded: string
  cases: PythonCase[]
}

/** Reads `test/fixtures/python/<file>`. */
export function pythonFixture(file: string): PythonFixture {
  const url = new URL(`../fixtures/python/${file}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as PythonFixture
}

/** A case's `pythonBytes` (or any hex field) as a Buffer. */
export function bytesOf(hex: string): Buffer {
  return Buffer.from(hex, 'hex')
}

/** The JavaScript value of tagged JSON. */
export function untag(tagged: unknown): unknown {
  if (Array.isArray(tagged)) return tagged.map(untag)
  if (tagged === null || typeof tagged !== 'object') return tagged
  const record = tagged as Record<string, unknown>
  if ('$bigint' in record) return BigInt(record.$bigint as string)
  if ('$bytes' in record) return Buffer.from(record.$bytes as string, 'hex')
  if ('$number' in record) return record.$number === '-0' ? -0 : Number(record.$number)
  if ('$undefined' in record) return undefined
  if ('$map' in record)
    return new Map((record.$map as [unknown, unknown][]).map(([k, v]) => [untag(k), untag(v)]))
  const source = '$object' in record ? (record.$object as Record<string, unknown>) : record
  return Object.fromEntries(Object.entries(source).map(([k, v]) => [k, untag(v)]))
}
