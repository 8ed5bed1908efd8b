import { FlipCacheError } from '../errors.js'
import type { Support } from '../redis/server-features.js'
import type { ReadReply, ReplyMode, TransportView } from '../redis/transport-view.js'
import type { RedisValue } from '../types/value-codec.js'
import type { BucketExpire, BucketSettings, EntryExpiry, HashLayout } from './bucket-layout.js'
import { escapeGlob } from './glob.js'
import { ListpackWatch } from './listpack-watch.js'
import { scanKeys } from './scan-keys.js'
import { removeIfUnchanged, writeBucket, writeFieldsOnCreate } from './scripts.js'
import type { ScanBatch, Store } from './store.js'

const scanCount = 200

/**
 * L2 packed: entry `key` of cache `name` is field `f` of the Redis hash `name:b:<bucket>` (or
 * `<bucket prefix><bucket>`), so that many small entries share one key's overhead (and, under the
 * listpack limits, a compact encoding). On a server that expires hash fields (Redis 8.0+, Valkey
 * 9.0+, asked per server by ServerFeatures) an entry's expiry is its field's own TTL (`HSETEX`);
 * elsewhere, or with entry expiry 'header', it travels in the entry's header: read past it, an
 * entry is a miss and is removed if it still holds what was read (compare-and-delete in Lua). With
 * entry expiry 'bucket' the field holds the value alone and the entry lives as long as its bucket.
 * The bucket's own TTL follows `bucketExpire`.
 */
export class HashStore implements Store {
  /** What Redis's tracking must follow for this cache: the prefix of its buckets. */
  readonly trackedPrefix: string
  readonly #batcher: TransportView
  readonly #prefix: string
  /** Whether buckets are named by the cache (`name:b:`), rather than by a prefix of the user's. */
  readonly #ownPrefix: boolean
  readonly #reply: ReplyMode
  readonly #layout: HashLayout
  readonly #bucketExpire: BucketExpire
  readonly #expiry: EntryExpiry
  readonly #listpack: ListpackWatch

  constructor(
    batcher: TransportView,
    keyPrefix: string,
    reply: ReplyMode,
    settings: BucketSettings,
    warn: (message: string) => void,
  ) {
    this.#batcher = batcher
    this.#ownPrefix = settings.prefix === undefined
    this.#prefix = settings.prefix ?? `${keyPrefix}b:`
    this.trackedPrefix = settings.prefix ?? keyPrefix
    this.#expiry = settings.expiry
    this.#reply = reply
    this.#layout = settings.layout
    this.#bucketExpire = settings.expire
    this.#listpack = new ListpackWatch(batcher, settings.layout.bucketSize, warn)
  }

  /**
   * Whether `key`'s expiry must travel in its header: with entry expiry 'header', and with 'auto'
   * while the server that holds its bucket is not known to expire fields (a server being asked is
   * taken for one that does not: every server reads the header).
   */
  headerExpiry(key: string): boolean {
    if (this.#expiry !== 'auto') return this.#expiry === 'header'
    // A single server answers for every bucket: no need to place the key.
    const bucketKey = this.#batcher.router === undefined ? '' : this.#prefix + this.#layout.place(key)[0]
    return !this.#fieldTtl(bucketKey)
  }

  /** Whether the server of `bucketKey` expires hash fields: 'no' for buckets with expiry per bucket (nothing to ask). */
  #support(bucketKey: string): Support {
    return this.#expiry === 'bucket' ? 'no' : this.#batcher.features.fieldExpiry(bucketKey)
  }

  /** Whether entries of `bucketKey` are written with a TTL of their own (entry expiry 'auto' on a server that has them). */
  #fieldTtl(bucketKey: string): boolean {
    return this.#expiry === 'auto' && this.#batcher.features.fieldExpiry(bucketKey) === 'yes'
  }

  redisKey(key: string): string {
    const [bucket, field] = this.#layout.place(key)
    return `${this.#prefix}${bucket}[${field}]`
  }

  /**
   * One HMGET per bucket, all in one round trip; with `withTtl`, how long Redis keeps each entry in
   * it too: its bucket's PTTL, and on a server that expires fields each field's own (HPTTL), the
   * shorter of the two. While the server is being asked, a TTL of 0: the entry is returned, not kept.
   */
  async read(keys: string[], withTtl: boolean): Promise<ReadReply> {
    const groups = this.#group(keys)
    const reads = [...groups].map(([bucket, members]) => {
      const bucketKey = this.#prefix + bucket
      const fields = members.map(([, field]) => field)
      const support = withTtl ? this.#support(bucketKey) : 'no'
      return Promise.all([
        this.#batcher.command<(RedisValue | null)[]>('HMGET', [bucketKey, ...fields], this.#reply),
        withTtl ? this.#batcher.command<number>('PTTL', [bucketKey]) : Promise.resolve(-1),
        support === 'yes'
          ? this.#batcher.command<number[]>('HPTTL', [bucketKey, 'FIELDS', fields.length, ...fields])
          : Promise.resolve(support),
      ])
    })
    const replies = await Promise.all(reads)
    const values = new Array<RedisValue | null>(keys.length).fill(null)
    const ttls = withTtl ? new Array<number>(keys.length).fill(-2) : undefined
    ;[...groups.values()].forEach((members, group) => {
      const [found, bucketTtl, fieldTtls] = replies[group] as [
        (RedisValue | null)[],
        number,
        number[] | Support,
      ]
      members.forEach(([index], member) => {
        values[index] = found[member] ?? null
        if (ttls === undefined) return
        if (fieldTtls === 'unknown') ttls[index] = 0
        else
          ttls[index] =
            typeof fieldTtls === 'string' ? bucketTtl : shorter(bucketTtl, fieldTtls[member] ?? -1)
      })
    })
    return { values, ttls }
  }

  /**
   * Values of `keys`, each read with `HGETEX ... PX ttlMs` so that reading pushes its field's expiry
   * back (and under bucketExpire 'always' the bucket's, if it has one and it is shorter: `PEXPIRE
   * ... GT`). Needs a server that expires fields: refused on one known not to; while the server is
   * being asked, a plain read whose entries are not kept (TTL 0).
   */
  async readSliding(keys: string[], ttlMs: number): Promise<ReadReply> {
    const groups = this.#group(keys)
    const reads = [...groups].map(([bucket, members]) => {
      const bucketKey = this.#prefix + bucket
      const fields = members.map(([, field]) => field)
      const support = this.#support(bucketKey)
      if (support === 'no') return Promise.reject(this.#noFieldExpiry('Sliding expiry', bucketKey))
      if (support === 'unknown') {
        return this.#batcher
          .command<(RedisValue | null)[]>('HMGET', [bucketKey, ...fields], this.#reply)
          .then((found): [(RedisValue | null)[], number | undefined] => [found, 0])
      }
      this.#extendBucket(bucketKey, ttlMs)
      return this.#batcher
        .command<(RedisValue | null)[]>(
          'HGETEX',
          [bucketKey, 'PX', ttlMs, 'FIELDS', fields.length, ...fields],
          this.#reply,
        )
        .then((found): [(RedisValue | null)[], number | undefined] => [found, undefined], this.#refused)
    })
    const replies = await Promise.all(reads)
    const values = new Array<RedisValue | null>(keys.length).fill(null)
    let ttls: number[] | undefined
    ;[...groups.values()].forEach((members, group) => {
      const [found, ttl] = replies[group] as [(RedisValue | null)[], number | undefined]
      members.forEach(([index], member) => {
        values[index] = found[member] ?? null
        if (ttl === undefined) return
        ttls ??= new Array<number>(keys.length).fill(ttlMs)
        ttls[index] = ttl
      })
    })
    return { values, ttls }
  }

  /**
   * One HSET per bucket (and its TTL, as bucketExpire says), all in one round trip. With entry
   * expiry 'bucket', resolves to each entry's remaining life as Redis left its bucket (PTTL: -1
   * none), which is the entry's own; with 'header', to `undefined` (each entry's life is `ttlMs`).
   */
  async write(
    entries: [key: string, value: RedisValue][],
    ttlMs: number | null,
  ): Promise<number[] | undefined> {
    this.#listpack.check(entries)
    const byBucket = this.#expiry === 'bucket'
    const writes: Promise<number | undefined>[] = []
    const groups = this.#group(entries.map(([key]) => key))
    for (const [bucket, members] of groups) {
      const bucketKey = this.#prefix + bucket
      const args = members.flatMap(([index, field]) => [field, (entries[index] as [string, RedisValue])[1]])
      if (ttlMs !== null && this.#fieldTtl(bucketKey)) {
        writes.push(this.#writeFields(bucketKey, args, ttlMs))
        continue
      }
      if (this.#bucketExpire === 'never' || ttlMs === null) {
        const written = this.#batcher.command('HSET', [bucketKey, ...args])
        if (byBucket) {
          // Expiry per bucket: a write without expiry leaves the bucket's TTL as it is.
          writes.push(
            written.then(() => undefined),
            this.#batcher.command<number>('PTTL', [bucketKey]),
          )
          continue
        }
        writes.push(written.then(() => undefined))
        // 'always': an entry with no expiry makes the bucket persist for good.
        if (this.#bucketExpire === 'always')
          writes.push(this.#batcher.command('PERSIST', [bucketKey]).then(() => undefined))
        continue
      }
      // 'always': the bucket lives at least as long as the entry just written and never shorter than
      // before; a persisting bucket stays so with headers (an entry without expiry is in it), and gets
      // the TTL with expiry per bucket (as dogpile's True does). 'on-create': the bucket gets the TTL
      // of the write that creates it. Whether it existed before the write decides, so the server does it.
      const mode = this.#bucketExpire === 'always' && byBucket ? 'always-bucket' : this.#bucketExpire
      writes.push(writeBucket.run<number>(this.#batcher, [bucketKey], [mode, ttlMs, ...args]))
    }
    const replies = await Promise.all(writes)
    if (!byBucket) return undefined
    const bucketTtls = replies.filter((reply): reply is number => reply !== undefined)
    const lives = new Array<number>(entries.length).fill(-2)
    ;[...groups.values()].forEach((members, group) => {
      for (const [index] of members) lives[index] = bucketTtls[group] as number
    })
    return lives
  }

  /**
   * Fields written with a TTL of their own (`HSETEX ... PX`, which replaces a field's value and TTL
   * alike): no header, and nothing expired is left behind. The bucket itself needs no TTL (Redis
   * removes a hash whose last field expired), but one it has (set by a write without field TTLs) must
   * not take the entry early: under 'always' it is extended to cover it, never shortened (`PEXPIRE
   * ... GT` leaves a persisting bucket so); under 'on-create' a new bucket gets the TTL, in one step.
   */
  #writeFields(bucketKey: string, args: RedisValue[], ttlMs: number): Promise<undefined> {
    if (this.#bucketExpire === 'on-create') {
      return writeFieldsOnCreate
        .run(this.#batcher, [bucketKey], [ttlMs, ...args])
        .then(() => undefined, this.#refused)
    }
    const written = this.#batcher
      .command('HSETEX', [bucketKey, 'PX', ttlMs, 'FIELDS', args.length / 2, ...args])
      .then(() => undefined, this.#refused)
    this.#extendBucket(bucketKey, ttlMs)
    return written
  }

  /** Under bucketExpire 'always', a bucket with a TTL shorter than `ttlMs` gets `ttlMs` (fire and forget, in the same round trip). */
  #extendBucket(bucketKey: string, ttlMs: number): void {
    if (this.#bucketExpire !== 'always') return
    this.#batcher.command('PEXPIRE', [bucketKey, ttlMs, 'GT']).catch(() => {})
  }

  /**
   * A command of field expiry failed: refused as unknown, the server was not the one asked (a slot
   * moved, a failover landed on an older server), so every server is asked again.
   */
  readonly #refused = (error: unknown): never => {
    if (error instanceof Error && /unknown command/i.test(error.message)) this.#batcher.features.forget()
    throw error
  }

  #noFieldExpiry(what: string, bucketKey: string): FlipCacheError {
    return new FlipCacheError(
      'E_REDIS',
      `${what} in hash buckets needs a server that expires hash fields (HSETEX, HGETEX, HPEXPIRE: Redis 8.0 or later, Valkey 9.0 or later); the server of \`${bucketKey}\` does not`,
    )
  }

  /** One HDEL per bucket; resolves to how many fields existed. */
  async remove(keys: string[]): Promise<number> {
    const removed = await Promise.all(
      [...this.#group(keys)].map(([bucket, members]) =>
        this.#batcher.command<number>('HDEL', [this.#prefix + bucket, ...members.map(([, field]) => field)]),
      ),
    )
    return removed.reduce((sum, count) => sum + count, 0)
  }

  /**
   * Removes the field of `key` if it still holds exactly `raw`, in one server-side step: a write that
   * landed after the read (from this instance or another) is never deleted. Fire and forget.
   */
  removeExpired(key: string, raw: RedisValue): void {
    const [bucket, field] = this.#layout.place(key)
    removeIfUnchanged.run(this.#batcher, [this.#prefix + bucket], [field, raw]).catch(() => {})
  }

  /** Whether the bucket holds a field for `key`, without reading its header (with headers, the core reads it for has()). */
  async exists(key: string): Promise<boolean> {
    const [bucket, field] = this.#layout.place(key)
    return (await this.#batcher.command<number>('HEXISTS', [this.#prefix + bucket, field])) === 1
  }

  /**
   * The TTL of the bucket that holds `key`, or -2 when the bucket has no field for it (with headers,
   * the entry's own expiry is in its header, which the core reads).
   */
  async pttl(key: string): Promise<number> {
    const [bucket, field] = this.#layout.place(key)
    const [exists, pttl] = await Promise.all([
      this.#batcher.command<number>('HEXISTS', [this.#prefix + bucket, field]),
      this.#batcher.command<number>('PTTL', [this.#prefix + bucket]),
    ])
    return exists === 1 ? pttl : -2
  }

  /**
   * Pushes each entry's field expiry to `ttlMs` from now (one `HPEXPIRE` per bucket, and under
   * 'always' the bucket's own TTL if it has a shorter one); resolves to whether each field still
   * existed. An entry whose server does not expire fields (or is being asked) counts as gone, so that
   * its L1 copy is dropped rather than outlive it.
   */
  async touch(keys: string[], ttlMs: number): Promise<boolean[]> {
    const groups = this.#group(keys)
    const touches = [...groups].map(([bucket, members]) => {
      const bucketKey = this.#prefix + bucket
      if (this.#support(bucketKey) !== 'yes') return Promise.resolve(members.map(() => -2))
      this.#extendBucket(bucketKey, ttlMs)
      const fields = members.map(([, field]) => field)
      return this.#batcher
        .command<number[]>('HPEXPIRE', [bucketKey, ttlMs, 'FIELDS', fields.length, ...fields])
        .catch(this.#refused)
    })
    const replies = await Promise.all(touches)
    const existed = new Array<boolean>(keys.length).fill(false)
    ;[...groups.values()].forEach((members, group) => {
      const codes = replies[group] as number[]
      members.forEach(([index], member) => {
        // HPEXPIRE: 1 set, -2 no such field (0 and 2 need conditions or past times, never sent).
        existed[index] = codes[member] === 1
      })
    })
    return existed
  }

  /**
   * Keys of the namespace and their stored values, one SCAN batch of buckets at a time: their
   * HGETALLs share one round trip. Fields past the expiry in their header are the core's to skip.
   */
  async *scan(): AsyncGenerator<ScanBatch> {
    for await (const buckets of this.#scanBuckets()) {
      const contents = await Promise.all(
        buckets.map((bucketKey) => this.#batcher.command<RedisValue[]>('HGETALL', [bucketKey], this.#reply)),
      )
      const keys: string[] = []
      const values: RedisValue[] = []
      for (const [position, pairs] of contents.entries()) {
        const bucket = (buckets[position] as string).slice(this.#prefix.length)
        for (let index = 0; index + 1 < pairs.length; index += 2) {
          const field = String(pairs[index])
          const key = this.#layout.keyOf(bucket, field)
          if (key === undefined) {
            throw new TypeError(
              'keys() and entries() need `storage.key(bucket, field)` to tell the keys of a custom bucket layout',
            )
          }
          keys.push(key)
          values.push(pairs[index + 1] as RedisValue)
        }
      }
      if (keys.length > 0) yield { keys, values }
    }
  }

  async removeAll(): Promise<number> {
    let removed = 0
    for await (const buckets of this.#scanBuckets()) {
      removed += await this.#batcher.command<number>('UNLINK', buckets)
    }
    return removed
  }

  /** What the Redis key `suffix` (the part after `trackedPrefix`) holds: a bucket, or nothing of this cache. */
  holds(suffix: string): { bucket: string } | undefined {
    if (!this.#ownPrefix) return suffix === '' ? undefined : { bucket: suffix }
    return suffix.startsWith('b:') ? { bucket: suffix.slice(2) } : undefined
  }

  readonly bucketOf = (key: string): string => this.#layout.place(key)[0]

  /**
   * The buckets, a SCAN batch at a time: every key of `name:b:*`, or the hashes of `<prefix>*` under a
   * prefix of the user's (which other data may share). An empty prefix would take every hash of the
   * database for a bucket, and list (or, for clear(), delete) what is not the cache's: refused.
   */
  #scanBuckets(): AsyncGenerator<string[]> {
    if (this.#ownPrefix) return scanKeys(this.#batcher, `${escapeGlob(this.#prefix)}*`, scanCount)
    if (this.#prefix === '') {
      throw new TypeError(
        "keys(), entries() and clear() are not available with `storage.bucketPrefix: ''`: a bucket may then be any hash of the database, and only a SCAN of all of it could find them. Give the buckets a common prefix (`bucketPrefix: 'user-'` for `user-15`), or delete by key",
      )
    }
    return scanKeys(this.#batcher, `${escapeGlob(this.#prefix)}*`, scanCount, 'hash')
  }

  /** Keys grouped by bucket, each with its index in `keys` and its field. */
  #group(keys: string[]): Map<string, [index: number, field: string][]> {
    const groups = new Map<string, [number, string][]>()
    keys.forEach((key, index) => {
      const [bucket, field] = this.#layout.place(key)
      let members = groups.get(bucket)
      if (members === undefined) {
        members = []
        groups.set(bucket, members)
      }
      members.push([index, field])
    })
    return groups
  }
}

/** The shorter of two remaining lives in ms, where -1 is none and -2 is gone. */
function shorter(bucketTtl: number, fieldTtl: number): number {
  if (bucketTtl === -2 || fieldTtl === -2) return -2
  if (bucketTtl === -1) return fieldTtl
  if (fieldTtl === -1) return bucketTtl
  return Math.min(bucketTtl, fieldTtl)
}
