import { describe, expect, it } from 'vitest'
import { CacheCore } from '../../src/core/cache-core.js'
import { CacheState } from '../../src/core/cache-state.js'
import type { Flight } from '../../src/core/reads.js'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { LocalTier } from '../../src/local/local-tier.js'
import type { ReadReply } from '../../src/redis/transport-view.js'
import type { TagStamp } from '../../src/tags/tag-stamps.js'
import { stringCodec } from '../../src/types/scalar-codecs.js'
import { manualCoreConfig } from '../support/manual-core.js'
import { ManualStore } from '../support/manual-store.js'
import { ManualTags } from '../support/manual-tags.js'

/** A core over a store and tags whose replies the test releases by hand. */
function tagged() {
  const store = new ManualStore()
  const tags = new ManualTags()
  const state = new CacheState<string, Flight<string>>(new LocalTier(100, 60_000), undefined, 60_000)
  const entries = new EntryCodec(stringCodec, undefined, (key) => store.redisKey(key))
  const announcedTags: TagStamp[][] = []
  const core = new CacheCore<string>(
    manualCoreConfig({
      store,
      state,
      entries,
      tagKeys: tags,
      announceTags: async (stamps) => {
        announcedTags.push(stamps)
      },
    }),
  )
  const peek = (key: string): string | undefined => state.peek(key, Date.now())?.value
  /** What the store was asked to write for `key`, framed (the value Redis would then hold). */
  const framed = (value: string, stamps: TagStamp[]) => entries.frame(value, { tags: stamps }) as string
  return { store, tags, state, core, peek, framed, announcedTags }
}

const found = (...values: (string | null)[]): ReadReply => ({ values, ttls: values.map(() => -1) })

describe('tags: an entry written or read around an invalidation of its tag is never resurrected', () => {
  it('a write stamped before the invalidation lands after it: neither L1 nor a later read serves it', async () => {
    const { store, core, peek, framed, announcedTags } = tagged()
    const stamps = await core.stampsOf(['t'])
    expect(stamps).toEqual([{ tag: 't', hard: 0, soft: 0 }])
    const write = core.write([['k', 'old']], null, undefined, undefined, stamps)
    const held = store.next<undefined>('write')
    await core.invalidateTags(['t'], false)
    expect(announcedTags).toEqual([[{ tag: 't', hard: 1, soft: 0 }]])
    held.release(undefined)
    await write
    expect(peek('k')).toBeUndefined()
    // Redis holds what the write carried: stamped with the count from before the invalidation.
    const read = core.get('k')
    store.next<ReadReply>('read').release(found(framed('old', stamps)))
    expect(await read).toBeUndefined()
    expect(peek('k')).toBeUndefined()
  })

  it('a read sent before the invalidation and answered after it neither answers nor fills L1', async () => {
    const { store, core, peek, framed } = tagged()
    const stamps = await core.stampsOf(['t'])
    const read = core.get('k')
    await core.invalidateTags(['t'], false)
    store.next<ReadReply>('read').release(found(framed('old', stamps)))
    expect(await read).toBeUndefined()
    expect(peek('k')).toBeUndefined()
  })

  it('counts read before an invalidation but answered after its news never lower what the news taught', async () => {
    const { store, tags, state, core, peek, framed } = tagged()
    tags.hold = true
    // A fresh instance reads a tagged entry: its counts are unknown, so they are read after the value.
    const read = core.get('k')
    store.next<ReadReply>('read').release(found(framed('v', [{ tag: 't', hard: 0, soft: 0 }])))
    await new Promise((resolve) => setImmediate(resolve))
    const countsRead = tags.held.shift()
    expect(countsRead?.tags).toEqual(['t'])
    // Redis answered h=0 (the read ran first); the invalidation's message (h=1) arrives before the reply.
    state.tags.learn('t', { hard: 1, soft: 0 }, Date.now())
    countsRead?.release()
    expect(await read).toBeUndefined()
    expect(peek('k')).toBeUndefined()
    expect(state.tags.counts('t', Date.now())).toMatchObject({ hard: 1, soft: 0 })
  })

  it('an L1 copy stops being a hit as soon as its tag moves on, and a soft move leaves it only as a stale copy', async () => {
    const { store, core, state, peek } = tagged()
    const stamps = await core.stampsOf(['t'])
    const write = core.write([['k', 'v']], null, undefined, undefined, stamps)
    store.next<undefined>('write').release(undefined)
    await write
    expect(peek('k')).toBe('v')
    await core.invalidateTags(['t'], true)
    expect(peek('k')).toBeUndefined()
    expect(state.peekStale('k', Date.now())?.value).toBe('v')
    await core.invalidateTags(['t'], false)
    expect(state.peekStale('k', Date.now())).toBeUndefined()
  })

  it('losing the bus forgets every count: they are read again, and a read from before is not kept', async () => {
    const { tags, state, core } = tagged()
    await core.stampsOf(['t'])
    expect(state.tags.counts('t', Date.now())).toBeDefined()
    tags.hold = true
    const stamping = core.stampsOf(['u'])
    state.trust(false)
    tags.held.shift()?.release()
    expect(await stamping).toEqual([{ tag: 'u', hard: 0, soft: 0 }])
    expect(state.tags.counts('t', Date.now())).toBeUndefined()
    expect(state.tags.counts('u', Date.now())).toBeUndefined()
  })
})
