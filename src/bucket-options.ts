import { describe } from './errors.js'
import type { ResolvedLoad } from './loading/load-options.js'
import type { BucketSettings, EntryExpiry } from './store/bucket-layout.js'
import type { SyncMode } from './sync/sync-bus.js'

/** The `bucketPrefix` and `entryExpiry` of a hash `storage` option, checked on their own. */
export function resolveBucketNaming(
  storage: { bucketPrefix?: unknown; entryExpiry?: unknown },
  hashTag: unknown,
): Pick<BucketSettings, 'prefix' | 'expiry'> {
  const { bucketPrefix, entryExpiry = 'auto' } = storage
  if (bucketPrefix !== undefined && typeof bucketPrefix !== 'string') {
    throw new TypeError(`Expected \`storage.bucketPrefix\` to be a string, got ${describe(bucketPrefix)}`)
  }
  if (bucketPrefix !== undefined && hashTag === true) {
    throw new TypeError(
      `\`hashTag: true\` puts the cache's own keys in one slot ({name}:b:...), but \`storage.bucketPrefix\` ${describe(bucketPrefix)} names the buckets apart from them: drop hashTag, or put a hash tag in the prefix yourself ('{users}:')`,
    )
  }
  if (entryExpiry !== 'auto' && entryExpiry !== 'header' && entryExpiry !== 'bucket') {
    throw new TypeError(
      `Expected \`storage.entryExpiry\` to be 'auto', 'header' or 'bucket', got ${describe(entryExpiry)}`,
    )
  }
  return { prefix: bucketPrefix, expiry: entryExpiry as EntryExpiry }
}

/**
 * Sliding expiry in buckets pushes each field's own TTL back (`HGETEX ... PX`, `HPEXPIRE`): it needs
 * entries whose expiry is their field's ('auto'), and a bucket that does not die at a fixed time.
 */
export function checkSlidingBuckets(expiry: EntryExpiry, expire: BucketSettings['expire']): void {
  if (expiry !== 'auto') {
    throw new TypeError(
      `\`refreshExpireTimeOnGet\` with hash buckets pushes each field's own TTL back, which \`storage.entryExpiry: '${expiry}'\` does not use: leave entryExpiry at 'auto' (on Redis 8.0+ or Valkey 9.0+), or use storage 'string'`,
    )
  }
  if (expire === 'on-create') {
    throw new TypeError(
      "`refreshExpireTimeOnGet` with `bucketExpire: 'on-create'` would let a bucket die at its creation + TTL, taking entries whose reads pushed their expiry past it: use 'always' or 'never'",
    )
  }
}

/** What the rest of the options must not ask of buckets named or timed the dogpile way. */
export function checkBucketFit(
  buckets: BucketSettings | undefined,
  options: { sync: SyncMode; compression: unknown; load: ResolvedLoad },
): void {
  if (buckets === undefined) return
  if (buckets.prefix === '' && options.sync === 'tracking') {
    throw new TypeError(
      "`sync: 'tracking'` with `storage.bucketPrefix: ''` would have Redis send this client an invalidation for every write to any key of the database: give the buckets a common prefix, or use sync 'pubsub'",
    )
  }
  if (buckets.expiry !== 'bucket') return
  if (options.compression !== undefined) {
    throw new TypeError(
      "`compress` needs a header on compressed values, which `storage.entryExpiry: 'bucket'` stores without",
    )
  }
  checkLoadFits(buckets, options.load)
}

/** getOrSet's grace and refreshAhead keep a fresh-until time in a header: refused without headers. */
export function checkLoadFits(buckets: BucketSettings | undefined, load: ResolvedLoad): void {
  if (buckets?.expiry !== 'bucket') return
  if (load.tags !== undefined) {
    throw new TypeError(
      "`tags` are kept in a header on the value, which `storage.entryExpiry: 'bucket'` stores without",
    )
  }
  const option = load.graceMs > 0 ? 'grace' : load.refreshAhead !== undefined ? 'refreshAhead' : undefined
  if (option === undefined) return
  throw new TypeError(
    `\`${option}\` keeps a fresh-until time in a header on the value, which \`storage.entryExpiry: 'bucket'\` stores without`,
  )
}
