import { describe, expect, it, vi } from 'vitest'
import { CacheClosedError } from '../../src/errors.js'
import { PendingCalls } from '../../src/pending-calls.js'

describe('PendingCalls', () => {
  it("guard() passes the work's outcome through and forgets the call once it settles", async () => {
    const pending = new PendingCalls()
    const done = pending.guard(Promise.resolve('v'))
    const failed = pending.guard(Promise.reject(new Error('boom')))
    expect(pending.size).toBe(2)
    expect(await done).toBe('v')
    await expect(failed).rejects.toThrow('boom')
    expect(pending.size).toBe(0)
  })

  it('closeAll() rejects every waiting call at once, and every call guarded after it; a late outcome is ignored', async () => {
    const pending = new PendingCalls()
    let finish: (value: string) => void = () => {}
    const never = pending.guard(new Promise<string>(() => {}))
    const late = pending.guard(new Promise<string>((resolve) => (finish = resolve)))
    const closed = new CacheClosedError('c')
    pending.closeAll(closed)
    await expect(never).rejects.toBe(closed)
    await expect(late).rejects.toBe(closed)
    expect(pending.size).toBe(0)
    finish('too late')
    // The work's own rejection after closing is handled (no unhandled rejection).
    await expect(pending.guard(Promise.reject(new Error('ignored')))).rejects.toBe(closed)
  })

  it('each() yields the items; a step waiting when closeAll() comes rejects at once, and the source is ended', async () => {
    const pending = new PendingCalls()
    let release: () => void = () => {}
    let ended = false
    async function* source(): AsyncGenerator<number, void, undefined> {
      try {
        yield 1
        await new Promise<void>((resolve) => (release = resolve))
        yield 2
      } finally {
        ended = true
      }
    }
    const items = pending.each(source())
    expect(await items.next()).toEqual({ value: 1, done: false })
    const waiting = items.next()
    const closed = new CacheClosedError('c')
    pending.closeAll(closed)
    await expect(waiting).rejects.toBe(closed)
    // The source's step on its way lands, then the source is ended.
    release()
    await vi.waitFor(() => expect(ended).toBe(true))
  })
})
