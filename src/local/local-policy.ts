/**
 * How L1 picks what to drop when it is full. `'lru'`: the least recently used entry. `'tinylfu'`:
 * W-TinyLFU, a small LRU window in front of a segmented LRU whose entries are replaced only by
 * keys seen more often (a frequency sketch), which keeps hot keys through scans. `'s3fifo'`: S3-FIFO,
 * a small FIFO for new keys in front of a main FIFO, with a ghost list of keys recently let go.
 */
export type LocalPolicyName = 'lru' | 'tinylfu' | 's3fifo'

export const localPolicyNames: readonly LocalPolicyName[] = ['lru', 'tinylfu', 's3fifo']

/**
 * The bounded store a `LocalTier` keeps its entries in: the order of eviction is the policy's.
 * A policy never holds more than its `maxEntries` entries nor more than its `maxBytes` bytes, and
 * tells `onEvict` of each entry it drops to make room (not of those deleted, replaced or refused).
 */
export interface LocalPolicy<E> {
  readonly size: number
  /** The bytes held (the sum of what `set` was told). */
  readonly bytes: number
  /** The value of `key`, counted as a use. */
  get(key: string): E | undefined
  /** The value of `key`, not counted as a use. */
  peek(key: string): E | undefined
  has(key: string): boolean
  /** Keeps `value` as `key`'s (replacing any), `bytes` long; one longer than `maxBytes` is not kept (and `key`'s old value goes). */
  set(key: string, value: E, bytes: number): void
  delete(key: string): boolean
  keys(): IterableIterator<string>
  clear(): void
}

/** The bounds of a policy, and who hears of the entries it drops for room. */
export interface PolicyBounds {
  /** At least 1. */
  readonly maxEntries: number
  /** `Infinity` for none. */
  readonly maxBytes: number
  readonly onEvict: ((key: string) => void) | undefined
}
