import type { BenchContext } from './support/context.js'
import type { Scenario } from './support/scenario.js'
import { afterInvalidationSection, type ReaderCase, until } from './tags/after-invalidation.js'
import { invalidationCosts, invalidationSection } from './tags/invalidate.js'
import { type MemoryCase, memorySection } from './tags/memory.js'
import { type ReadGroup, readsSection } from './tags/reads.js'
import {
  bentocacheSubject,
  cacheableSubject,
  flipcacheSubject,
  type SubjectOptions,
  type TaggedCache,
  type Tier,
} from './tags/subjects.js'

/**
 * flipcache's tags against BentoCache's and cacheable's: what invalidating a tag costs as more
 * entries carry it, what a tag costs a read, the first read after an invalidation on another
 * instance, and the bytes a tag adds to an entry in Redis.
 */
export const tags: Scenario = {
  name: 'tags',
  summary:
    'tags: invalidateTags cost vs entries tagged, tagged get vs untagged, read after invalidation, bytes; vs peers',
  async run(context) {
    const open = new Opener(context)
    const admin = await context.client()

    // 1. invalidateTags: O(tags), not O(entries carrying them).
    const repeats = context.quick ? 5 : 20
    const invalidators = [
      await open.flipcache('inv', 'memory+redis'),
      await open.peer('inv', 'memory+redis', bentocacheSubject),
      await open.peer('inv', 'memory+redis', cacheableSubject),
    ]
    const costs = await invalidationCosts(admin, invalidators, repeats)
    context.report(invalidationSection(costs, repeats, open.configs(invalidators)))

    // 2. A tagged get against an untagged one, in one timed run.
    const one = ['org-1']
    const three = ['org-1', 'team-1', 'region-1']
    const flipL1 = await open.flipcache('get-l1', 'memory+redis')
    // L1 off, but listening (sync 'pubsub'): tag counts are kept for localTtl, as with L1 on and a cold
    // copy. L1 off with sync 'none' (the default with localMax 0) hears no one, so it keeps no count.
    const flipL2 = await open.flipcache('get-l2', 'redis', { sync: 'pubsub' })
    const flipAlone = await open.flipcache('get-l2-alone', 'redis')
    const bentoL1 = await open.peer('get-l1', 'memory+redis', bentocacheSubject)
    const bentoL2 = await open.peer('get-l2', 'redis', bentocacheSubject)
    const groups: ReadGroup[] = [
      flipcacheGroup(flipL1, 'L1 hit', [one, three], true),
      flipcacheGroup(flipL2, "L1 off, sync 'pubsub', Redis read", [one, three], true),
      flipcacheGroup(flipAlone, "L1 off, sync 'none', Redis read", [one], false),
      peerGroup(bentoL1, bentoL1, 'memory hit'),
      peerGroup(bentoL2, bentoL2, 'Redis read'),
      peerGroup(
        await open.peer('get-l1-off', 'memory+redis', (options) => cacheableSubject(options, false)),
        await open.peer('get-l1', 'memory+redis', cacheableSubject),
        'memory hit',
      ),
      peerGroup(
        await open.peer('get-l2-off', 'redis', (options) => cacheableSubject(options, false)),
        await open.peer('get-l2', 'redis', cacheableSubject),
        'Redis read',
      ),
    ]
    context.report(await readsSection(context, groups))

    // 3. The first read on another instance after an invalidation: a miss, then the reload.
    const [flipWriter, flipReader] = await open.pair('after', (options) => open.flipcacheOn(options))
    const [bentoWriter, bentoReader] = await open.pair('after-bento', bentocacheSubject)
    const [cacheableWriter, cacheableReader] = await open.pair('after-cacheable', cacheableSubject)
    const flipHeard = (key: string) =>
      until(() => flipReader.cache.peek(key) === undefined, `the reader dropping ${key}`)
    const atOnce = async () => {}
    const cases: ReaderCase[] = [
      {
        name: 'flipcache (L1 + Redis), entry deleted (untagged)',
        writer: flipWriter,
        reader: flipReader,
        kind: 'delete',
        heard: flipHeard,
      },
      {
        name: 'flipcache (L1 + Redis), tag invalidated',
        writer: flipWriter,
        reader: flipReader,
        kind: 'invalidate',
        heard: flipHeard,
      },
      {
        name: 'flipcache (L1 + Redis), rewritten with a new tag',
        writer: flipWriter,
        reader: flipReader,
        kind: 'new-tag',
        heard: flipHeard,
      },
      {
        name: 'BentoCache (Redis), entry deleted (untagged)',
        writer: bentoWriter,
        reader: bentoReader,
        kind: 'delete',
        heard: atOnce,
      },
      {
        name: 'BentoCache (Redis), tag invalidated',
        writer: bentoWriter,
        reader: bentoReader,
        kind: 'invalidate',
        heard: atOnce,
      },
      {
        name: 'cacheable (Redis), entry deleted (untagged)',
        writer: cacheableWriter,
        reader: cacheableReader,
        kind: 'delete',
        heard: atOnce,
      },
      {
        name: 'cacheable (Redis), tag invalidated',
        writer: cacheableWriter,
        reader: cacheableReader,
        kind: 'invalidate',
        heard: atOnce,
      },
    ]
    const samples = context.quick ? 20 : 200
    context.report(
      await afterInvalidationSection(
        admin,
        cases,
        samples,
        open.configs([flipReader, bentoReader, cacheableReader]),
      ),
    )

    // 4. Bytes per entry in Redis, with 0, 1 and 3 tags, on a private server.
    const memoryCases: MemoryCase[] = [
      { library: 'flipcache', open: (options) => flipcacheSubject(options) },
      { library: 'BentoCache', open: (options) => bentocacheSubject(options) },
      { library: 'cacheable', open: (options) => cacheableSubject(options) },
    ]
    context.report(await memorySection(memoryCases, context.quick ? 2_000 : 10_000, context.quick))
  },
}

/** flipcache's rows: untagged, then with each set of tags. */
function flipcacheGroup(cache: TaggedCache, how: string, tagSets: string[][], judged: boolean): ReadGroup {
  return {
    untagged: cache,
    tagged: cache,
    name: `flipcache, ${how}, untagged`,
    judged,
    variants: tagSets.map((tags) => ({
      name: `flipcache, ${how}, ${tags.length === 1 ? '1 tag' : `${tags.length} tags`}`,
      tags,
    })),
  }
}

/** A peer's rows: untagged (on `untagged`, which for cacheable has its tag service off), 1 tag. */
function peerGroup(untagged: TaggedCache, tagged: TaggedCache, how: string): ReadGroup {
  const library = tagged.label.replace(/ \(.*$/, '')
  return {
    untagged,
    tagged,
    name: `${library}, ${how}, untagged${untagged === tagged ? '' : ' (tags off)'}`,
    variants: [{ name: `${library}, ${how}, 1 tag`, tags: ['org-1'] }],
  }
}

/** Opens the caches of the scenario under the run's prefix, each closed at the end of the run. */
class Opener {
  readonly #context: BenchContext
  constructor(context: BenchContext) {
    this.#context = context
  }

  options(label: string, tier: Tier): SubjectOptions {
    return { url: this.#context.url, namespace: this.#context.key('tags', label), tier }
  }

  /** flipcache with its tag hashes under the run's prefix too, so that the run's cleanup removes them. */
  flipcacheOn(options: SubjectOptions, extra: { sync?: 'pubsub' } = {}) {
    return flipcacheSubject(options, { tagPrefix: `${this.#context.prefix}:_tag:`, ...extra })
  }

  async flipcache(label: string, tier: Tier, extra: { sync?: 'pubsub' } = {}): Promise<TaggedCache> {
    return this.#context.own(await this.flipcacheOn(this.options(`flipcache-${label}`, tier), extra))
  }

  async peer(
    label: string,
    tier: Tier,
    create: (options: SubjectOptions) => Promise<TaggedCache>,
  ): Promise<TaggedCache> {
    const options = this.options(`${create.name}-${label}-${tier === 'redis' ? 'redis' : 'l1'}`, tier)
    return this.#context.own(await create(options))
  }

  /** Two instances of one namespace, each on connections of its own: flipcache's with L1 on, the peers' Redis-only. */
  async pair<T extends TaggedCache>(
    label: string,
    create: (options: SubjectOptions) => Promise<T>,
  ): Promise<[T, T]> {
    const tier: Tier = label === 'after' ? 'memory+redis' : 'redis'
    const options = this.options(label, tier)
    return [this.#context.own(await create(options)), this.#context.own(await create(options))]
  }

  configs(caches: TaggedCache[]): { row: string; config: string }[] {
    return caches.map((cache) => ({ row: cache.label, config: cache.config }))
  }
}
