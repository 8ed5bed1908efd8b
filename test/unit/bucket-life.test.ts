import { afterEach, describe, expect, it, vi } from 'vitest'
import { CacheCore } from '../../src/core/cache-core.js'
import { CacheState } from '../../src/core/cache-state.js'
import type { Flight } from '../../src/core/reads.js'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { LocalTier } from '../../src/local/local-tier.js'
import { stringCodec } from '../../src/types/scalar-codecs.js'
import { fakeClock } from '../support/fake-clock.js'
import { manualCoreConfig } from '../support/manual-core.js'
import { ManualStore } from '../support/manual-store.js'

/** A core over a hand-driven store with expiry per bucket (no header, the store reports each bucket's life). */
function bucketCore() {
  const store = new ManualStore({ expiryInValue: false })
  const state = new CacheState<string, Flight<string>>(
    new LocalTier(100, 3_600_000),
    (key) => key[0] as string,
  )
  const entries = new EntryCodec(stringCodec, undefined, (key) => store.redisKey(key), undefined, false)
  const core = new CacheCore<string>(manualCoreConfig({ store, state, entries }))
  const peek = (key: string): string | undefined => state.peek(key, Date.now())?.value
  return { store, core, peek }
}

describe("L1 after a write into buckets with expiry per bucket (entryExpiry 'bucket')", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("keeps each entry until its bucket's TTL as the write reported it, not the write's own TTL", async () => {
    const clock = fakeClock()
    const { store, core, peek } = bucketCore()
    const write = core.write(
      [
        ['a1', 'short'],
        ['b1', 'long'],
        ['c1', 'persisting'],
      ],
      3_600_000,
    )
    const held = store.next<number[] | undefined>('write')
    // Stored as the codec's bytes, with no header.
    expect(held.args[0]).toEqual([
      ['a1', 'short'],
      ['b1', 'long'],
      ['c1', 'persisting'],
    ])
    // Bucket a was created earlier and dies in 10 s ('on-create'); b got the write's hour; c persists.
    held.release([10_000, 3_600_000, -1])
    await write
    clock.advance(9_999)
    expect([peek('a1'), peek('b1'), peek('c1')]).toEqual(['short', 'long', 'persisting'])
    clock.advance(2)
    expect([peek('a1'), peek('b1'), peek('c1')]).toEqual([undefined, 'long', 'persisting'])
  })

  it('keeps nothing of an entry whose bucket was gone right after the write (-2)', async () => {
    fakeClock()
    const { store, core, peek } = bucketCore()
    const write = core.write([['a1', 'gone']], null)
    store.next<number[] | undefined>('write').release([-2])
    await write
    expect(peek('a1')).toBeUndefined()
  })

  it("keeps a write without expiry as long as its bucket's TTL", async () => {
    const clock = fakeClock()
    const { store, core, peek } = bucketCore()
    const write = core.write([['a1', 'v']], null)
    store.next<number[] | undefined>('write').release([5_000])
    await write
    clock.advance(4_999)
    expect(peek('a1')).toBe('v')
    clock.advance(2)
    expect(peek('a1')).toBeUndefined()
  })
})
