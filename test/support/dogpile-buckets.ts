import type { FlipCacheOptions } from '../../src/index.js'

/** A dogpile hstore key: the bucket's Redis key and the field. */
export type Tuple = [bucket: string, field: string]

/**
 * The `storage` of a cache over dogpile's buckets under `prefix` (`user-15` with prefix `user-`):
 * the tuple's bucket is the whole Redis key, each field the codec's bytes (no header).
 */
export function prefixedBuckets(prefix: string): FlipCacheOptions<Tuple, unknown>['storage'] {
  return {
    kind: 'hash',
    bucket: ([bucket, field]) => [bucket.slice(prefix.length), field],
    key: (bucket, field) => [prefix + bucket, field],
    bucketPrefix: prefix,
    entryExpiry: 'bucket',
  }
}
