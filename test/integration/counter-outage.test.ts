import { beforeAll, describe, expect, it, vi } from 'vitest'
import { ErrorCode, type FlipCacheError } from '../../src/index.js'
import { useCounters } from '../support/counter-builder.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'

// These tests stop and freeze Redis, so they run on a server of their own.
const own = useOwnServer()
const { counter } = useCounters(() => own.server.url)
// The admin client's reconnect errors while the server is down are expected, not news.
beforeAll(() => {
  own.admin.on('error', () => {})
})

const codeOf = (caught: unknown): string | undefined => (caught as FlipCacheError).code

describe('FlipCounter with Redis down', () => {
  it('fails increments with a coded error while Redis is stopped, reports failed hand-overs, and works again once it is back', async () => {
    const handed: [string, number][] = []
    const views = counter({
      timeout: 300,
      circuitBreaker: false,
      persist: async (changes) => {
        handed.push(...changes)
      },
      persistInterval: 50,
      // A claim whose reply timed out (300 ms, on a loaded machine) holds its batch for this lease:
      // short, so that the hand-over after the restart comes within the test's patience.
      persistTimeout: '2s',
    })
    const errors: FlipCacheError[] = []
    views.on('error', (error) => errors.push(error))
    expect(await views.increment('a', 5)).toBe(5)
    await vi.waitFor(() => expect(handed).toEqual([['a', 5]]), patience)
    expect(await views.increment('a')).toBe(6)
    await own.server.stop()
    try {
      const failed = await views.increment('a').catch(codeOf)
      expect([ErrorCode.redis, ErrorCode.timeout]).toContain(failed)
      // The timer's hand-overs fail too: reported on 'error', never an unhandled rejection.
      await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), patience)
      expect(
        errors.every((error) => [ErrorCode.redis, ErrorCode.timeout].includes(error.code as never)),
      ).toBe(true)
    } finally {
      await own.server.restart()
    }
    // The server restarted empty (no persistence), like a flush: the counter starts again, and
    // the change made before the stop (6) was never acknowledged; the timer hands over what Redis holds.
    // Increments are retried until one is answered; one that timed out on a loaded machine may
    // still have landed, so the answer is 1 or more (retrying `expect(...).toBe(1)` counted on).
    let b: number | undefined
    await vi.waitFor(async () => {
      b ??= await views.increment('b')
    }, patience)
    expect(b).toBeGreaterThanOrEqual(1)
    const least = b as number
    await vi.waitFor(
      () => expect(handed.some(([key, count]) => key === 'b' && count >= least)).toBe(true),
      patience,
    )
  })

  it('a frozen Redis fails an increment with E_TIMEOUT, never hangs', async () => {
    const views = counter({ timeout: 300, circuitBreaker: false, restore: () => 10 })
    expect(await views.increment('a')).toBe(11)
    own.server.freeze()
    try {
      const started = Date.now()
      const failed = await views.increment('a').catch(codeOf)
      expect(failed).toBe(ErrorCode.timeout)
      // A generous bound for a loaded 2-core machine: the call's own timeout is 300 ms.
      expect(Date.now() - started).toBeLessThan(5_000)
    } finally {
      own.server.thaw()
    }
    await vi.waitFor(async () => expect(await views.get('a')).toBeGreaterThanOrEqual(11), patience)
  })
})
