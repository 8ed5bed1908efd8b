import { describe } from './errors.js'
import { parseExpireTime } from './expire/option-values.js'
import type { InvalidateTagsOptions, SetOptions } from './flipcache-types.js'
import { checkTags } from './tags/tag-stamps.js'
import type { RedisValue } from './types/value-codec.js'

/** What a `set` / `setMany` call writes with: its TTL, and its tags (checked), if any. */
export interface SetCall {
  ttlMs: number | null
  tags: string[] | undefined
}

/**
 * A `set` / `setMany` call's options: the TTL is its `expireTime`, else the cache's (`cacheTtlMs`);
 * `tags` need entries that can carry a header (`headers`).
 */
export function setCallOf(
  options: SetOptions | undefined,
  cacheTtlMs: number | null,
  headers: boolean,
): SetCall {
  if (options === undefined) return { ttlMs: cacheTtlMs, tags: undefined }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected set options to be an object, got ${describe(options)}`)
  }
  for (const option of Object.keys(options)) {
    if (option !== 'expireTime' && option !== 'tags')
      throw new TypeError(`Unknown set option \`${option}\`; known options: expireTime, tags`)
  }
  const ttlMs = options.expireTime === undefined ? cacheTtlMs : parseExpireTime(options.expireTime)
  const tags = options.tags === undefined ? undefined : taggable(checkTags(options.tags), headers)
  return { ttlMs, tags: tags?.length === 0 ? undefined : tags }
}

/** `tags`, if this cache's entries can carry them (not with hash buckets whose expiry is per bucket). */
export function taggable(tags: string[], headers: boolean): string[] {
  if (!headers && tags.length > 0) {
    throw new TypeError(
      "Tags need entries that carry a header; this cache stores hash buckets with `entryExpiry: 'bucket'`, whose values are the codec's bytes alone",
    )
  }
  return tags
}

/** `invalidateTags`'s options: whether the entries go (`'delete'`, the default) or turn stale (`'expire'`). */
export function softInvalidation(options: InvalidateTagsOptions | undefined): boolean {
  if (options === undefined) return false
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected invalidateTags options to be an object, got ${describe(options)}`)
  }
  for (const option of Object.keys(options)) {
    if (option !== 'mode')
      throw new TypeError(`Unknown invalidateTags option \`${option}\`; known options: mode`)
  }
  const { mode = 'delete' } = options
  if (mode !== 'delete' && mode !== 'expire') {
    throw new TypeError(`Expected \`mode\` to be 'delete' or 'expire', got ${describe(mode)}`)
  }
  return mode === 'expire'
}

/** wrap()'s key without a `key` option: the call's one argument. */
export function byOnlyArgument(...args: unknown[]): unknown {
  if (args.length !== 1) {
    throw new TypeError(
      `Expected a function wrapped without a \`key\` option to be called with exactly one argument, its key; got ${args.length} arguments: give wrap() a \`key\` function of them`,
    )
  }
  return args[0]
}

/** getOrSet's and getOrSetMany's loader, checked: a function, else a `TypeError` naming what it is. */
export function checkLoader(loader: unknown): void {
  if (typeof loader !== 'function') {
    throw new TypeError(`Expected the loader to be a function, got ${describe(loader)}`)
  }
}

/** A call's keys as given and as encoded, in order (the first bad key throws, as `encode` does). */
export function keysOfCall<K>(
  keys: Iterable<K>,
  encode: (key: K) => string,
): { given: K[]; encoded: string[] } {
  const given: K[] = []
  const encoded: string[] = []
  for (const key of keys) {
    encoded.push(encode(key))
    given.push(key)
  }
  return { given, encoded }
}

/**
 * setMany's entries as given and as encoded, in order; an item that is not a `[key, value]` pair, a
 * bad key or a value that does not fit throws before anything is written.
 */
export function entriesOfCall<K, V>(
  entries: Iterable<readonly [K, V]>,
  encodeKey: (key: K) => string,
  encodeValue: (key: string, value: V) => RedisValue,
): { pairs: [K, V][]; encoded: [string, RedisValue][] } {
  const pairs: [K, V][] = []
  const encoded: [string, RedisValue][] = []
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw new TypeError(`Expected each entry of setMany to be a [key, value] pair, got ${describe(entry)}`)
    }
    const key = encodeKey(entry[0])
    encoded.push([key, encodeValue(key, entry[1])])
    pairs.push([entry[0], entry[1]])
  }
  return { pairs, encoded }
}
