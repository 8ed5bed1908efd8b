import KeyvRedis from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisDriver } from 'bentocache/drivers/redis'
import { Cacheable } from 'cacheable'
import { Redis } from 'ioredis'
import type { FlipCacheOptions, FlipCache as FlipCacheType } from '../../src/index.js'

/** Every entry of the scenario lives for an hour. */
export const ttlMs = 3_600_000

/**
 * One library's tagged cache, driven the same way for every row: write with or without tags,
 * read, invalidate tags, delete. Each opens its own connections and closes them in close().
 */
export interface TaggedCache {
  readonly label: string
  /** The row's configuration in a sentence, for docs/benchmarks.md. */
  readonly config: string
  get(key: string): Promise<unknown>
  /** Writes `value` under `key` carrying `tags` (none: an untagged write). */
  set(key: string, value: unknown, tags: readonly string[]): Promise<void>
  /** Writes every entry, each with the tags `tagsOf` gives it, in one go where the library can. */
  setMany(
    entries: readonly (readonly [string, unknown])[],
    tagsOf: (key: string) => readonly string[],
  ): Promise<void>
  invalidate(tags: readonly string[]): Promise<void>
  delete(key: string): Promise<void>
  close(): Promise<void>
}

export type Tier = 'memory+redis' | 'redis'

export interface SubjectOptions {
  url: string
  /** Every Redis key the cache writes starts with this. */
  namespace: string
  tier: Tier
}

/** flipcache with its defaults (L1 on, sync 'pubsub'), or with L1 off (`localMax: 0`). */
export async function flipcacheSubject(
  { url, namespace, tier }: SubjectOptions,
  options: Omit<FlipCacheOptions<string, unknown>, 'redis'> = {},
): Promise<TaggedCache & { cache: FlipCacheType<string, unknown> }> {
  // Loaded here, not at the top: the built package must exist only when a flipcache row runs.
  const { FlipCache } = await import('../support/flipcache.js')
  const redis = new Redis(url)
  const cache = new FlipCache<string, unknown>(namespace, {
    redis,
    expireTime: ttlMs,
    ...(tier === 'redis' ? { localMax: 0 } : {}),
    ...options,
  })
  await cache.ready()
  const set = (key: string, value: unknown, tags: readonly string[]) =>
    cache.set(key, value, tags.length > 0 ? { tags } : {})
  return {
    label: `flipcache (${tier === 'redis' ? `L1 off, sync '${options.sync ?? 'none'}'` : 'L1 + Redis'})`,
    config:
      tier === 'redis'
        ? `FlipCache, localMax 0 (every get reads Redis), default valueType (superjson), sync '${options.sync ?? 'none'}'` +
          (options.sync === undefined ? ' (the default with L1 off)' : '')
        : "FlipCache with its defaults: L1 on, default valueType (superjson), sync 'pubsub'",
    cache,
    get: (key) => cache.get(key),
    set,
    async setMany(entries, tagsOf) {
      // setMany gives every entry the same tags: entries with tags of their own are set in one tick,
      // which flipcache writes in one round trip all the same.
      await Promise.all(entries.map(([key, value]) => set(key, value, tagsOf(key))))
    },
    invalidate: (tags) => cache.invalidateTags(tags),
    async delete(key) {
      await cache.delete(key)
    },
    async close() {
      await cache.close()
      redis.disconnect()
    },
  }
}

/**
 * BentoCache 1.6 as its multi-tier guide sets it up (memoryDriver in front of redisDriver, no bus),
 * or its Redis driver alone. `set({ key, value, tags })`, `deleteByTag({ tags })`.
 */
export async function bentocacheSubject({ url, namespace, tier }: SubjectOptions): Promise<TaggedCache> {
  const connection = new Redis(url)
  const store = bentostore()
  if (tier === 'memory+redis') store.useL1Layer(memoryDriver({ maxSize: '10mb' }))
  store.useL2Layer(redisDriver({ connection }))
  const bento = new BentoCache({ default: 'cache', prefix: namespace, stores: { cache: store } })
  const set = async (key: string, value: unknown, tags: readonly string[]) => {
    await bento.set({ key, value, ttl: ttlMs, ...(tags.length > 0 ? { tags: [...tags] } : {}) })
  }
  return {
    label: `BentoCache (${tier === 'redis' ? 'Redis' : 'memory + Redis'})`,
    config:
      (tier === 'redis'
        ? 'bentostore().useL2Layer(redisDriver({ connection: ioredis })) only'
        : "bentostore().useL1Layer(memoryDriver({ maxSize: '10mb' })).useL2Layer(redisDriver({ connection: ioredis })), no bus") +
      '; set({ key, value, ttl, tags }), deleteByTag({ tags }); no batch write in 1.6 (Promise.all of set).',
    get: (key) => bento.get({ key }),
    set,
    async setMany(entries, tagsOf) {
      await Promise.all(entries.map(([key, value]) => set(key, value, tagsOf(key))))
    },
    async invalidate(tags) {
      await bento.deleteByTag({ tags: [...tags] })
    },
    async delete(key) {
      await bento.delete({ key })
    },
    async close() {
      await bento.disconnectAll()
      if (connection.status !== 'end') connection.disconnect()
    },
  }
}

/**
 * cacheable 2.5 with its tag service on (`tags: true`, off by default), tag data in the Redis store:
 * `@keyv/redis` as the secondary behind its default memory primary, or as the only store.
 * `set(key, value, { ttl, tags })`, `setMany([{ key, value, ttl, tags }])`, `tags.invalidateTags(tags)`.
 * `tags: false` is the same cache with the tag service off, for the untagged rows.
 */
export async function cacheableSubject(
  { url, namespace, tier }: SubjectOptions,
  tags = true,
): Promise<TaggedCache> {
  const redis = new KeyvRedis(url)
  const cache =
    tier === 'memory+redis'
      ? new Cacheable({ secondary: redis, namespace, tags })
      : new Cacheable({ primary: redis, namespace, tags })
  const set = async (key: string, value: unknown, tagged: readonly string[]) => {
    const options = tagged.length > 0 ? { ttl: ttlMs, tags: [...tagged] } : { ttl: ttlMs }
    // cacheable reports a failed write as `false` (plus an 'error' event) rather than a rejection.
    if (!(await cache.set(key, value, options))) throw new Error(`cacheable: set of ${key} failed`)
  }
  return {
    label: `cacheable (${tier === 'redis' ? 'Redis' : 'memory + Redis'}${tags ? '' : ', tags off'})`,
    config:
      (tier === 'redis'
        ? 'new Cacheable({ primary: new KeyvRedis(url), namespace'
        : 'new Cacheable({ secondary: new KeyvRedis(url), namespace (default memory primary)') +
      `, tags: ${tags} })` +
      (tags
        ? '; set(key, value, { ttl, tags }), setMany, tags.invalidateTags(tags).'
        : ' (its default: tag service off).'),
    get: (key) => cache.get(key),
    set,
    async setMany(entries, tagsOf) {
      const items = entries.map(([key, value]) => {
        const tagged = tagsOf(key)
        return tagged.length > 0 ? { key, value, ttl: ttlMs, tags: [...tagged] } : { key, value, ttl: ttlMs }
      })
      if (!(await cache.setMany(items))) throw new Error('cacheable: setMany failed')
    },
    async invalidate(tagged) {
      await cache.tags.invalidateTags([...tagged])
    },
    async delete(key) {
      await cache.delete(key)
    },
    close: () => cache.disconnect(),
  }
}
