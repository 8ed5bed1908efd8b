import { describe, expect, it, vi } from 'vitest'
import { ErrorCode, type FlipCacheError } from '../../src/index.js'
import { useCounters } from '../support/counter-builder.js'
import { gate } from '../support/fake-clock.js'
import { patience } from '../support/patience.js'

const { counter, sharedClient } = useCounters()

/** A persist that records every hand-over, and a way to make it fail. */
function recorder() {
  const batches: [string, number][][] = []
  const state = { failing: false }
  return {
    batches,
    state,
    persist: async (changes: [string, number][]) => {
      if (state.failing) throw new Error('database down')
      batches.push(changes)
    },
    /** Every [key, value] handed over, sorted by key. */
    handed: () => batches.flat().sort(([a], [b]) => a.localeCompare(b)),
  }
}

const hour = 3_600_000

describe('FlipCounter persist', () => {
  it('persistNow() hands each changed counter over once with its latest value, in batches', async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: hour, persistBatchSize: 2 })
    await views.increment('a')
    await views.increment('a', 4)
    await views.increment('b')
    await views.increment('c', -2)
    await views.persistNow()
    expect(sink.handed()).toEqual([
      ['a', 5],
      ['b', 1],
      ['c', -2],
    ])
    expect(sink.batches.map((batch) => batch.length).sort()).toEqual([1, 2])
    await views.persistNow()
    expect(sink.batches).toHaveLength(2)
    await views.increment('b')
    await views.persistNow()
    expect(sink.batches[2]).toEqual([['b', 2]])
  })

  it('keeps its bookkeeping at name#dirty (a set of keys) and name#inflight', async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: hour })
    await views.increment('a')
    expect(await sharedClient().smembers(`${views.name}#dirty`)).toEqual(['a'])
    await views.persistNow()
    expect(await sharedClient().exists(`${views.name}#dirty`, `${views.name}#inflight`)).toBe(0)
  })

  it('hands over on its own every persistInterval', async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: 50 })
    await views.increment('a', 3)
    await vi.waitFor(() => expect(sink.handed()).toEqual([['a', 3]]), patience)
  })

  it("reports a failed hand-over on 'error' (E_PERSIST) and hands the same counters over again", async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: hour })
    const errors: FlipCacheError[] = []
    views.on('error', (error) => errors.push(error))
    await views.increment('a')
    await views.increment('b')
    sink.state.failing = true
    await views.persistNow()
    expect(errors.map((error) => error.code)).toEqual([ErrorCode.persist])
    expect(errors[0]?.message).toContain('database down')
    sink.state.failing = false
    await views.increment('a')
    await views.persistNow()
    expect(sink.handed()).toEqual([
      ['a', 2],
      ['b', 1],
    ])
  })

  it('marks a restored counter changed only when increments landed on it', async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: hour, restore: () => 10 })
    expect(await views.get('read-only')).toBe(10)
    expect(await views.increment('written')).toBe(11)
    await views.persistNow()
    expect(sink.handed()).toEqual([['written', 11]])
  })

  it('close() hands over what changed one last time', async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: hour })
    await views.increment('a', 7)
    await views.close()
    expect(sink.handed()).toEqual([['a', 7]])
  })

  it('close() waits for a last hand-over that hangs at most closeTimeout, and keeps its changes for a later one', async () => {
    const handedOver: [string, number][][] = []
    const views = counter({
      persist: (changes) => {
        handedOver.push(changes)
        return new Promise<void>(() => {})
      },
      persistInterval: hour,
      persistTimeout: '1m',
      closeTimeout: '200ms',
    })
    await views.increment('a', 3)
    const startedAt = performance.now()
    await views.close()
    // Bounded by closeTimeout, not by the minute persistTimeout gives the hand-over (a loaded machine adds some).
    expect(performance.now() - startedAt).toBeLessThan(10_000)
    expect(handedOver).toEqual([[['a', 3]]])
    // Never acknowledged: the counter is still in the hand-over in flight, to be handed over again.
    expect(await sharedClient().hget(`${views.name}#inflight`, 'm')).toBe('["a"]')
  })

  it('hands over one batch at a time across instances: a claim while another is in flight waits for it', async () => {
    const held = gate()
    const first: [string, number][][] = []
    const second = recorder()
    const views = counter({
      persistInterval: hour,
      persist: async (changes) => {
        first.push(changes)
        await held.opened
      },
    })
    const other = counter({ persist: second.persist, persistInterval: hour }, views.name)
    await views.increment('a')
    const handing = views.persistNow()
    await vi.waitFor(() => expect(first).toEqual([[['a', 1]]]), patience)
    await other.increment('b')
    await other.persistNow()
    expect(second.batches).toEqual([])
    held.open()
    await handing
    await other.persistNow()
    // The first instance's pass goes on until nothing is dirty: it may hand 'b' over itself.
    expect([...first.flat(), ...second.handed()].sort(([x], [y]) => x.localeCompare(y))).toEqual([
      ['a', 1],
      ['b', 1],
    ])
  })

  it('joins a pass under way rather than running two at once in one instance', async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: hour })
    await Promise.all(['a', 'b', 'c'].map((key) => views.increment(key)))
    await Promise.all([views.persistNow(), views.persistNow(), views.persistNow()])
    expect(sink.handed()).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ])
  })

  it('persistNow() without persist is a TypeError', async () => {
    await expect(counter().persistNow()).rejects.toThrow(TypeError)
  })

  it("reports a dirty key that holds no counter on 'error' (E_DECODE) and hands the others over", async () => {
    const sink = recorder()
    const views = counter({ persist: sink.persist, persistInterval: hour })
    const errors: FlipCacheError[] = []
    views.on('error', (error) => errors.push(error))
    await views.increment('a')
    await sharedClient().set(`${views.name}:hostile`, 'x')
    await sharedClient().sadd(`${views.name}#dirty`, 'hostile')
    await views.persistNow()
    expect(sink.handed()).toEqual([['a', 1]])
    expect(errors.map((error) => error.code)).toEqual([ErrorCode.decode])
  })
})
