import { describe, expect, inject, it } from 'vitest'
import { main as cacheAside } from '../../docs/examples/cache-aside.js'
import { main as failSafe } from '../../docs/examples/fail-safe.js'
import { main as readThrough } from '../../docs/examples/read-through.js'
import { main as refreshAhead } from '../../docs/examples/refresh-ahead.js'
import { main as staleWhileRevalidate } from '../../docs/examples/stale-while-revalidate.js'

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
    expect(await staleWhileRevalidate(url())).toEqual(['first 1', 'stale 1 at once: true', 'refreshed 2'])
  })

  it('refresh-ahead refreshes a hot key before it expires', async () => {
    expect(await refreshAhead(url())).toEqual(['feed v1', 'feed v1', 'feed v2'])
  })

  it('fail-safe serves the stale value when the loader fails, and E_LOADER without one', async () => {
    expect(await failSafe(url())).toEqual([
      'loaded 12',
      'reported E_LOADER',
      'served 12',
      'no stale value: E_LOADER',
    ])
  })
})
