/**
 * How a hash cache places its entries: the bucket settings the options resolve to, and the layouts
 * that map an encoded key to its bucket and field (and back).
 */

/** When a bucket's own Redis TTL is set: never, when the bucket is created, or at every write. */
export type BucketExpire = 'never' | 'on-create' | 'always'

/**
 * Where an entry's expiry lives: in the field's own TTL where the server has them, else in an
 * expires-at header on the entry ('auto'); in the header on every server ('header'); or nowhere but
 * its bucket's TTL ('bucket': the field is the codec's bytes exactly, as dogpile's hstore writes).
 */
export type EntryExpiry = 'auto' | 'header' | 'bucket'

/** How a cache packs its entries into hash buckets (the `storage` and `bucketExpire` options, resolved). */
export interface BucketSettings {
  layout: HashLayout
  expire: BucketExpire
  expiry: EntryExpiry
  /** What each bucket's Redis key starts with, when not the cache's own `name:b:` (`''`: the bucket alone). */
  prefix: string | undefined
}

/** Where an encoded key lives: its bucket (the part after `name:b:`, or the bucket prefix) and its field. */
export type Placement = [bucket: string, field: string]

export interface HashLayout {
  /** The most fields a bucket holds, when the layout knows it. */
  bucketSize?: number
  /** The bucket and field of an encoded key. */
  place(key: string): Placement
  /** The encoded key of a bucket's field; `undefined` when the layout cannot tell (no inverse given). */
  keyOf(bucket: string, field: string): string | undefined
}

/** `keyType: 'int'` with `bucketSize`: key k lives in bucket floor(k / size), field k mod size. */
export function sizedLayout(size: number): HashLayout {
  return {
    bucketSize: size,
    place(key) {
      const k = Number(key)
      const bucket = Math.floor(k / size)
      return [String(bucket), String(k - bucket * size)]
    },
    keyOf(bucket, field) {
      return String(Number(bucket) * size + Number(field))
    },
  }
}
