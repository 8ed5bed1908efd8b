import { describe, LoaderResultError } from '../errors.js'

/**
 * The values a getOrSetMany loader returned for `asked`, in their order: from an array of the same
 * length, or a Map with exactly the keys asked for (matched by their encoding, so that a loader may
 * build its Map of equal keys rather than the very objects it was given). Anything else throws
 * `E_LOADER_RESULT`, naming the counts and the keys missing or not asked for.
 */
export function valuesOfBatch<K, V>(
  result: unknown,
  asked: readonly { key: K; encoded: string }[],
  encodeKey: (key: K) => string,
  where: (encoded: string) => string,
): V[] {
  if (Array.isArray(result)) {
    if (result.length === asked.length) return result as V[]
    throw new LoaderResultError(`returned ${result.length} values for ${asked.length} keys`)
  }
  if (!(result instanceof Map)) {
    throw new LoaderResultError(
      `returned ${describe(result)} for ${asked.length} keys: expected a Map or an array`,
    )
  }
  const byEncoding = new Map<string, V>()
  const extra: string[] = []
  for (const [key, value] of result as Map<K, V>) {
    let encoded: string
    try {
      encoded = encodeKey(key)
    } catch {
      extra.push(describe(key))
      continue
    }
    byEncoding.set(encoded, value)
  }
  const wanted = new Set(asked.map((item) => item.encoded))
  for (const encoded of byEncoding.keys()) if (!wanted.has(encoded)) extra.push(where(encoded))
  const missing = asked.filter((item) => !byEncoding.has(item.encoded)).map((item) => where(item.encoded))
  if (missing.length > 0 || extra.length > 0) {
    throw new LoaderResultError(
      `returned a Map of ${result.size} entries for ${asked.length} keys`,
      missing,
      extra,
    )
  }
  return asked.map((item) => byEncoding.get(item.encoded) as V)
}
