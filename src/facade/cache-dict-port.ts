import * as clock from '../clock.js'
import type { CacheCore } from '../core/cache-core.js'
import type { CacheState } from '../core/cache-state.js'
import type { Flight } from '../core/reads.js'
import type { FlipCacheError } from '../errors.js'
import type { KeyCodec } from '../types/key-type.js'
import type { RedisValue } from '../types/value-codec.js'
import type { DictPort } from './dict-view.js'

/** The parts of a FlipCache its dict view works through (see `FlipCache.asDict()`). */
export interface CacheDictParts<K, V, Miss> {
  name: string
  keys: KeyCodec<K>
  state: CacheState<V, Flight<V>>
  core: CacheCore<V>
  valueDefault: V | undefined
  closed: () => boolean
  read: (key: K) => Promise<V | Miss>
  /** `set` of an encoded value, with the cache's `expireTime`. */
  write: (key: K, value: V, encoded: string, encodedValue: RedisValue) => Promise<void>
  remove: (key: K) => Promise<boolean>
  report: (error: FlipCacheError) => void
}

/** What the dict view needs, made of the cache's own parts: the view reads L1 and encodes as `set` does. */
export function cacheDictPort<K, V, Miss>(parts: CacheDictParts<K, V, Miss>): DictPort<K, V, Miss> {
  const { state, core } = parts
  return {
    name: parts.name,
    keys: parts.keys,
    localEnabled: state.localEnabled,
    closed: parts.closed,
    held: (encoded) => state.peek(encoded, clock.now()) !== undefined,
    encode: (encoded, value) => core.encode(encoded, value),
    copy: (encodedValue) => core.entries.copyOf(encodedValue),
    served: (encoded, value) => core.served(encoded, value),
    miss: (encoded) => core.served(encoded, parts.valueDefault) as V | Miss,
    read: parts.read,
    write: parts.write,
    remove: parts.remove,
    report: parts.report,
  }
}
