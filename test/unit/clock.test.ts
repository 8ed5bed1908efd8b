import { afterEach, describe, expect, it, vi } from 'vitest'
import * as clock from '../../src/clock.js'
import { CacheCore } from '../../src/core/cache-core.js'
import { CacheState } from '../../src/core/cache-state.js'
import type { Flight } from '../../src/core/reads.js'
import { EntryCodec } from '../../src/entry/entry-codec.js'
import { LoaderError } from '../../src/errors.js'
import { FailureBackoff } from '../../src/loading/failure-backoff.js'
import { LocalTier } from '../../src/local/local-tier.js'
import { Transport } from '../../src/redis/transport.js'
import type { ReadReply } from '../../src/redis/transport-view.js'
import { stringCodec } from '../../src/types/scalar-codecs.js'
import { afterTick, FakeRedisClient, track } from '../support/fake-redis-client.js'
import { manualCoreConfig } from '../support/manual-core.js'
import { ManualStore } from '../support/manual-store.js'

/** Steps the wall clock (`Date`) alone, as NTP or an operator would; the monotonic clock runs on. */
function stepWallClock(ms: number): void {
  vi.setSystemTime(Date.now() + ms)
}

afterEach(() => {
  vi.useRealTimers()
})

describe('clock.now()', () => {
  it('reads like Date.now() while the wall clock is not stepped: whole milliseconds since the epoch', () => {
    const now = clock.now()
    expect(Math.abs(now - Date.now())).toBeLessThan(50)
    // Entry headers store whole milliseconds: a fraction would make a value read back look later.
    expect(Number.isInteger(now)).toBe(true)
  })

  it('follows a fake clock that fakes performance, and not a step of Date alone', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] })
    const start = clock.now()
    vi.advanceTimersByTime(1_500)
    expect(clock.now() - start).toBe(1_500)
    stepWallClock(-10_000)
    expect(clock.now() - start).toBe(1_500)
    stepWallClock(+60_000)
    expect(clock.now() - start).toBe(1_500)
  })
})

describe('durations do not follow wall-clock steps', () => {
  it.each([-10_000, +10_000])(
    'a Redis call times out after its 1 s timeout when the wall clock steps by %i ms meanwhile',
    async (step) => {
      vi.useFakeTimers({
        toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
      })
      const client = new FakeRedisClient()
      const transport = new Transport(client.asClient)
      const call = track(transport.for(1_000).command('GET', ['k']))
      await afterTick()
      stepWallClock(step)
      await vi.advanceTimersByTimeAsync(999)
      expect(call.state).toBe('pending')
      await vi.advanceTimersByTimeAsync(1)
      expect(call.error).toMatchObject({ code: 'E_TIMEOUT', timeoutMs: 1_000 })
    },
  )

  it.each([-10_000, +10_000])(
    'an L1 copy lives its 2 s localTtl when the wall clock steps by %i ms meanwhile',
    async (step) => {
      vi.useFakeTimers({ toFake: ['Date', 'performance'] })
      const store = new ManualStore()
      const state = new CacheState<string, Flight<string>>(new LocalTier(100, 2_000))
      const core = new CacheCore<string>(
        manualCoreConfig({
          store,
          state,
          entries: new EntryCodec(stringCodec, undefined, (key) => store.redisKey(key)),
        }),
      )
      const read = core.get('k')
      store.next<ReadReply>('read').release({ values: ['v'], ttls: [-1] })
      expect(await read).toBe('v')
      stepWallClock(step)
      vi.advanceTimersByTime(1_999)
      expect(state.local('k', clock.now())?.value).toBe('v')
      vi.advanceTimersByTime(1)
      expect(state.local('k', clock.now())).toBeUndefined()
    },
  )

  it('a failed loader backs off its 100 ms when the wall clock steps back meanwhile', () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] })
    const backoff = new FailureBackoff()
    const failure = new LoaderError('test:k', { cause: new Error('down') })
    const loader = (): string => 'v'
    backoff.failed('k', loader, failure)
    stepWallClock(-10_000)
    vi.advanceTimersByTime(99)
    expect(() => backoff.check('k', loader)).toThrow(failure)
    vi.advanceTimersByTime(1)
    expect(() => backoff.check('k', loader)).not.toThrow()
  })
})
