import { describe, expect, inject, it } from 'vitest'
import { main as batchLoading } from '../../docs/examples/batch-loading.js'
import { main as cacheAside } from '../../docs/examples/cache-aside.js'
import { main as failSafe } from '../../docs/examples/fail-safe.js'
import { main as keyvExample } from '../../docs/examples/keyv.js'
import { main as loaderDecisions } from '../../docs/examples/loader-decisions.js'
import { main as readThrough } from '../../docs/examples/read-through.js'
import { main as refreshAhead } from '../../docs/examples/refresh-ahead.js'
import { main as staleWhileRevalidate } from '../../docs/examples/stale-while-revalidate.js'
import { main as tags } from '../../docs/examples/tags.js'

/**
 * Runs `work` with time slowed down `factor` times for everything in this process: `Date.now()` and
 * `performance.now()` (flipcache's clock) run that much slower and `setTimeout` / `setInterval` wait
 * that much longer, for the example and
 * flipcache alike (vitest keeps timers of its own). An example that times its steps in tens of ms
 * then leaves `factor` times the room for its Redis round trips on a loaded machine, and prints the
 * same. Redis's own clock is not slowed: only for examples whose Redis TTLs outlast their steps
 * many times over (their grace is an hour or a day).
 */
async function slowedDown<T>(factor: number, work: () => Promise<T>): Promise<T> {
  const { setTimeout: realSetTimeout, setInterval: realSetInterval } = globalThis
  const realNow = Date.now
  const origin = realNow()
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) =>
    realSetTimeout(callback, ms * factor, ...args)) as unknown as typeof setTimeout
  globalThis.setInterval = ((callback: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) =>
    realSetInterval(callback, ms * factor, ...args)) as unknown as typeof setInterval
  Date.now = () => origin + (realNow() - origin) / factor
  const realPerformanceNow = performance.now.bind(performance)
  const performanceOrigin = realPerformanceNow()
  performance.now = () => performanceOrigin + (realPerformanceNow() - performanceOrigin) / factor
  try {
    return await work()
  } finally {
    globalThis.setTimeout = realSetTimeout
    globalThis.setInterval = realSetInterval
    Date.now = realNow
    Reflect.deleteProperty(performance, 'now')
  }
}

// The examples of docs/read-through.md run here, so that the guide stays true.
describe('docs/read-through.md examples', () => {
  const url = () => inject('redisUrl')

  it('cache-aside loads on a miss and serves the cached value after', async () => {
    expect(await cacheAside(url())).toEqual(['loading sku-1', 'price 9.99', 'cached 9.99'])
  })

  it('read-through calls the loader once for 100 concurrent callers, and wrap() reuses it', async () => {
    expect(await readThrough(url())).toEqual([
      'answers 100, loader calls 1',
      'wrapped user 7, loader calls 1',
    ])
  })

  it('stale-while-revalidate serves the stale value at once, then the refreshed one', async () => {
    // Its steps are 50-150 ms apart (it asserts 'at once' as < 40 ms): slowed down 10 times.
    expect(await slowedDown(10, () => staleWhileRevalidate(url()))).toEqual([
      'first 1',
      'stale 1 at once: true',
      'refreshed 2',
    ])
  })

  it('refresh-ahead refreshes a hot key before it expires', async () => {
    expect(await refreshAhead(url())).toEqual(['feed v1', 'feed v1', 'feed v2'])
  })

  it('fail-safe serves the stale value when the loader fails, and E_LOADER without one', async () => {
    // Its failing load must end within its 200 ms soft timeout: slowed down 10 times.
    expect(await slowedDown(10, () => failSafe(url()))).toEqual([
      'loaded 12',
      'reported E_LOADER',
      'served 12',
      'no stale value: E_LOADER',
    ])
  })

  it('loader decisions: a token cached until it expires, a draft not cached, a 404 kept 2 s, a refused id', async () => {
    expect(await loaderDecisions(url())).toEqual([
      'token tok-1 cached for at most 3 s: true',
      'draft Lamp, cached: false',
      'not found: 1 query, kept at most 2 s: true',
      'failed: E_LOADER (no product can have id -1)',
    ])
  })

  it('tags invalidate a group of entries on every instance', async () => {
    expect(await tags(url())).toEqual([
      "b loaded the feed; b reads posts of 7 (now in b's L1)",
      'a: /users/7 undefined, /users/8 profile of 8',
      'b: /users/7/posts undefined, /feed the feed',
    ])
  })

  it('batch loading reads many keys at once and loads the missing ones in one loader call', async () => {
    expect(await batchLoading(url())).toEqual([
      'first: product 1, cached 2, product 3, product 1',
      'queried: [[1,3]]',
      'getOrSet: product 3',
      'second: product 3, product 4; queried: [4]',
      'partial: E_LOADER_RESULT',
    ])
  })
})

// The example of docs/keyv.md.
describe('docs/keyv.md example', () => {
  it('cache-manager over the Keyv store: a write on one instance is read on the other, whose L1 copy the next write invalidates', async () => {
    expect(await keyvExample(inject('redisUrl'))).toEqual([
      'b reads 9.99',
      'b holds it in L1: true',
      'b reads 12.5 after the change',
    ])
  })
})
