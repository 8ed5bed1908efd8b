import { afterEach, describe, expect, it, vi } from 'vitest'
import { ErrorCode, type FlipCacheError } from '../../src/index.js'
import type { CounterAddress, CounterCalls } from '../../src/structures/counter/counter-calls.js'
import type { CounterReply } from '../../src/structures/counter/counter-reply.js'
import { CounterRestorer } from '../../src/structures/counter/counter-restorer.js'
import { gate } from '../support/fake-clock.js'

/** Counter scripts whose replies the test scripts in advance: each call takes the next of its list. */
function scriptedCalls(replies: { step?: CounterReply[]; finish?: CounterReply[]; poll?: CounterReply[] }) {
  const made: string[] = []
  const next = (name: 'step' | 'finish' | 'poll'): CounterReply => {
    made.push(name)
    const reply = replies[name]?.shift()
    if (reply === undefined) throw new Error(`no ${name} reply scripted`)
    return reply
  }
  const calls = {
    step: async () => next('step'),
    finish: async () => next('finish'),
    poll: async () => next('poll'),
    release: async () => {
      made.push('release')
    },
  }
  return { calls: calls as unknown as CounterCalls, made }
}

const address: CounterAddress<string> = { key: 'a', redisKey: 'views:a', member: 'a' }
afterEach(() => {
  vi.useRealTimers()
})

describe('CounterRestorer', () => {
  it('a waiter gets the restored base plus the increments recorded up to its own', async () => {
    const { calls, made } = scriptedCalls({
      poll: [
        { kind: 'wait', delta: undefined, epoch: 'e1' },
        { kind: 'done', base: 100, value: 130, epoch: 'e1' },
      ],
    })
    const restorer = new CounterRestorer(calls, () => 0, 1000, 2000)
    expect(await restorer.settle(address, 'incr', 1, 't', { kind: 'wait', delta: 5, epoch: 'e1' })).toBe(105)
    expect(made).toEqual(['poll', 'poll'])
  })

  it('records the increment again when the counter it waits for is of another epoch (flushed, started over)', async () => {
    const { calls, made } = scriptedCalls({
      poll: [
        { kind: 'wait', delta: undefined, epoch: 'e2' },
        { kind: 'done', base: 30, value: 33, epoch: 'e2' },
      ],
      step: [{ kind: 'wait', delta: 1, epoch: 'e2' }],
    })
    const restorer = new CounterRestorer(calls, () => 0, 1000, 2000)
    expect(await restorer.settle(address, 'incr', 1, 't', { kind: 'wait', delta: 4, epoch: 'e1' })).toBe(31)
    expect(made).toEqual(['poll', 'step', 'poll'])
  })

  it('gives a lease of another epoch back before recording its increment again', async () => {
    const { calls, made } = scriptedCalls({
      poll: [{ kind: 'restore', delta: undefined, epoch: 'e2' }],
      step: [{ kind: 'value', value: 9 }],
    })
    const restorer = new CounterRestorer(calls, () => 0, 1000, 2000)
    expect(await restorer.settle(address, 'incr', 1, 't', { kind: 'wait', delta: 4, epoch: 'e1' })).toBe(9)
    expect(made).toEqual(['poll', 'release', 'step'])
  })

  it('a waiter that finds a live counter of no restore records its increment on it', async () => {
    const { calls, made } = scriptedCalls({
      poll: [{ kind: 'done', base: undefined, value: 7, epoch: undefined }],
      step: [{ kind: 'value', value: 8 }],
    })
    const restorer = new CounterRestorer(calls, () => 0, 1000, 2000)
    expect(await restorer.settle(address, 'incr', 1, 't', { kind: 'wait', delta: 0, epoch: 'e1' })).toBe(8)
    expect(made).toEqual(['poll', 'step'])
  })

  it('records the increment again when a flush took the counter with it', async () => {
    const { calls, made } = scriptedCalls({
      poll: [{ kind: 'gone' }],
      step: [{ kind: 'value', value: 1 }],
    })
    const restorer = new CounterRestorer(calls, () => 0, 1000, 2000)
    expect(await restorer.settle(address, 'incr', 1, 't', { kind: 'wait', delta: 3, epoch: 'e1' })).toBe(1)
    expect(made).toEqual(['poll', 'step'])
  })

  it('the lease holder restores, finishes, and returns base plus its own delta', async () => {
    const restore = vi.fn(async () => 40)
    const { calls, made } = scriptedCalls({ finish: [{ kind: 'value', value: 45 }] })
    const restorer = new CounterRestorer(calls, restore, 1000, 2000)
    expect(await restorer.settle(address, 'incr', 2, 't', { kind: 'restore', delta: 2, epoch: 'e1' })).toBe(
      42,
    )
    expect(restore).toHaveBeenCalledWith('a')
    expect(made).toEqual(['finish'])
  })

  it('a lease holder that lost its lease waits for the new holder instead', async () => {
    const { calls, made } = scriptedCalls({
      finish: [{ kind: 'lost' }],
      poll: [{ kind: 'done', base: 20, value: 30, epoch: 'e1' }],
    })
    const restorer = new CounterRestorer(calls, () => 10, 1000, 2000)
    expect(await restorer.settle(address, 'incr', 3, 't', { kind: 'restore', delta: 3, epoch: 'e1' })).toBe(
      23,
    )
    expect(made).toEqual(['finish', 'poll'])
  })

  it('a failed restore gives the lease up and fails with E_RESTORE', async () => {
    const { calls, made } = scriptedCalls({})
    const restorer = new CounterRestorer(
      calls,
      () => {
        throw new Error('no database')
      },
      1000,
      2000,
    )
    const error = (await restorer
      .settle(address, 'incr', 1, 't', { kind: 'restore', delta: 1, epoch: 'e1' })
      .catch((caught: unknown) => caught)) as FlipCacheError
    expect(error.code).toBe(ErrorCode.restore)
    expect(made).toEqual(['release'])
  })

  it('a waiter in the process of the lease holder waits for its restore rather than polling', async () => {
    const restored = gate<number>()
    const { calls, made } = scriptedCalls({
      finish: [{ kind: 'value', value: 52 }],
      poll: [{ kind: 'done', base: 50, value: 52, epoch: 'e1' }],
    })
    const restorer = new CounterRestorer(calls, () => restored.opened, 1000, 2000)
    const owner = restorer.settle(address, 'incr', 1, 'o', { kind: 'restore', delta: 1, epoch: 'e1' })
    const waiter = restorer.settle(address, 'incr', 1, 'w', { kind: 'wait', delta: 2, epoch: 'e1' })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(made).toEqual([])
    restored.open(50)
    expect(await owner).toBe(51)
    expect(await waiter).toBe(52)
    expect(made).toEqual(['finish', 'poll'])
  })

  it('a waiter gives up with E_RESTORE once the restore outlasts two leases and a restoreTimeout', async () => {
    vi.useFakeTimers()
    const waits: CounterReply[] = Array.from({ length: 1000 }, () => ({
      kind: 'wait',
      delta: undefined,
      epoch: 'e1',
    }))
    const { calls } = scriptedCalls({ poll: waits })
    const restorer = new CounterRestorer(calls, () => 0, 100, 200)
    const settled = restorer
      .settle(address, 'incr', 1, 't', { kind: 'wait', delta: 1, epoch: 'e1' })
      .catch((caught: unknown) => caught)
    await vi.advanceTimersByTimeAsync(600)
    const error = (await settled) as FlipCacheError
    expect(error.code).toBe(ErrorCode.restore)
    expect(error.message).toContain('still being restored after 500 ms')
  })
})
