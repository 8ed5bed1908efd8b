import { describe, expect, it, vi } from 'vitest'
import { type FlipCacheError, type WriteBehindChange, WriteQueueFullError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { patience } from '../support/patience.js'

type Change = WriteBehindChange<string, { n: number }>

/** A source of truth in memory that records every batch it was handed. */
function recordingSource() {
  const rows = new Map<string, { n: number }>()
  const batches: Change[][] = []
  return {
    rows,
    batches,
    flush: (changes: Change[]) => {
      batches.push(changes)
      for (const change of changes) {
        if (change.op === 'set') rows.set(change.key, change.value)
        else rows.delete(change.key)
      }
    },
  }
}

describe('writeBehind', () => {
  const { cache, sharedClient } = useCaches()

  it('writes Redis at once and hands the latest change per key to flush, deletes included', async () => {
    const source = recordingSource()
    const users = cache<string, { n: number }>({ writeBehind: { flush: source.flush, pollInterval: 60_000 } })
    await users.set('a', { n: 1 })
    await users.set('a', { n: 2 })
    await users.setMany([
      ['b', { n: 1 }],
      ['c', { n: 1 }],
    ])
    expect(await users.delete('c')).toBe(true)
    // Redis has the values at once; the source has nothing yet.
    expect(await sharedClient().get(`${users.name}:a`)).toBe('{"n":2}')
    expect(source.batches).toEqual([])
    expect(await sharedClient().xlen(`_wb:${users.name}:queue`)).toBe(5)
    expect(await users.flushNow()).toBe(0)
    expect(source.batches).toEqual([
      [
        { op: 'set', key: 'a', value: { n: 2 } },
        { op: 'set', key: 'b', value: { n: 1 } },
        { op: 'delete', key: 'c' },
      ],
    ])
    expect(await sharedClient().xlen(`_wb:${users.name}:queue`)).toBe(0)
    expect(await sharedClient().xpending(`_wb:${users.name}:queue`, 'drainers')).toEqual([
      0,
      null,
      null,
      null,
    ])
  })

  it('drains on its interval without flushNow', async () => {
    const source = recordingSource()
    const users = cache<string, { n: number }>({ writeBehind: { flush: source.flush, pollInterval: 20 } })
    await users.set('a', { n: 1 })
    await vi.waitFor(() => expect(source.rows.get('a')).toEqual({ n: 1 }), patience)
  })

  it('refuses a write past maxQueued with E_QUEUE_FULL, writing neither the value nor its entry', async () => {
    const users = cache<string, { n: number }>({
      writeBehind: { flush: () => {}, maxQueued: 2, drain: false },
    })
    await users.setMany([
      ['a', { n: 1 }],
      ['b', { n: 1 }],
    ])
    const refused = await users.set('c', { n: 1 }).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(WriteQueueFullError)
    expect((refused as FlipCacheError).code).toBe('E_QUEUE_FULL')
    await expect(users.delete('a')).rejects.toMatchObject({ code: 'E_QUEUE_FULL' })
    expect(await sharedClient().exists(`${users.name}:c`)).toBe(0)
    expect(await sharedClient().exists(`${users.name}:a`)).toBe(1)
    expect(await users.get('c')).toBeUndefined()
    expect(await sharedClient().xlen(`_wb:${users.name}:queue`)).toBe(2)
  })

  it('retries a failing flush with back-off, then moves the batch to the dead letters with E_DEAD_LETTER', async () => {
    const attempts: number[] = []
    const users = cache<string, { n: number }>({
      writeBehind: {
        flush: (_changes, { attempt }) => {
          attempts.push(attempt)
          throw new Error('database down')
        },
        maxAttempts: 3,
        retryDelay: 10,
        pollInterval: 10,
      },
    })
    const errors: FlipCacheError[] = []
    users.on('error', (error) => errors.push(error))
    await users.set('a', { n: 1 })
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DEAD_LETTER']), patience)
    expect(attempts).toEqual([1, 2, 3])
    const dead = await sharedClient().xrange(`_wb:${users.name}:dead`, '-', '+')
    expect(dead).toHaveLength(1)
    const fields = dead[0]?.[1] ?? []
    expect(fields.slice(0, 4)).toEqual(['k', 'a', 'v', '{"n":1}'])
    expect(fields).toContain('flush failed 3 times: database down')
    expect(await sharedClient().xlen(`_wb:${users.name}:queue`)).toBe(0)
  })

  it('a batch that fails once is flushed on a later attempt, and acknowledged only then', async () => {
    let failures = 1
    const source = recordingSource()
    const users = cache<string, { n: number }>({
      writeBehind: {
        flush: (changes) => {
          if (failures-- > 0) throw new Error('transient')
          source.flush(changes)
        },
        retryDelay: 10,
        pollInterval: 60_000,
      },
    })
    await users.set('a', { n: 1 })
    expect(await users.flushNow()).toBe(0)
    expect(source.rows.get('a')).toEqual({ n: 1 })
  })

  it('only the lease holder drains: two instances never flush the same key at once', async () => {
    let inFlight = 0
    let overlapped = false
    const flushed = new Map<string, number>()
    const flush = async (changes: Change[]) => {
      inFlight++
      if (inFlight > 1) overlapped = true
      await new Promise((resolve) => setTimeout(resolve, 5))
      for (const change of changes) if (change.op === 'set') flushed.set(change.key, change.value.n)
      inFlight--
    }
    const one = cache<string, { n: number }>({ writeBehind: { flush, pollInterval: 5, batchSize: 10 } })
    const two = cache<string, { n: number }>(
      { writeBehind: { flush, pollInterval: 5, batchSize: 10 } },
      one.name,
    )
    for (let round = 1; round <= 5; round++) {
      await Promise.all(
        Array.from({ length: 20 }, (_, index) => (index % 2 ? one : two).set(`k${index}`, { n: round })),
      )
    }
    await vi.waitFor(async () => expect(await one.flushNow(100)).toBe(0), patience)
    expect(overlapped).toBe(false)
    expect([...flushed.values()]).toEqual(Array.from({ length: 20 }, () => 5))
  })

  it('a queue entry that does not decode goes to the dead letters, reported; the rest of its batch is flushed', async () => {
    const source = recordingSource()
    const users = cache<string, { n: number }>({ writeBehind: { flush: source.flush, pollInterval: 60_000 } })
    const errors: FlipCacheError[] = []
    users.on('error', (error) => errors.push(error))
    await users.set('a', { n: 1 })
    await sharedClient().xadd(`_wb:${users.name}:queue`, '*', 'k', 'b', 'v', '{not json')
    expect(await users.flushNow()).toBe(0)
    expect(source.batches).toEqual([[{ op: 'set', key: 'a', value: { n: 1 } }]])
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_DEAD_LETTER']), patience)
    expect(errors[0]?.cause).toMatchObject({ code: 'E_DECODE' })
    expect(await sharedClient().xlen(`_wb:${users.name}:dead`)).toBe(1)
  })

  it('flushNow() refuses a bad timeout, and answers 0 at once on a cache without writeBehind', async () => {
    const users = cache<string, { n: number }>({ writeBehind: { flush: () => {}, drain: false } })
    await expect(users.flushNow('soon' as never)).rejects.toThrow(TypeError)
    await expect(users.flushNow(-1)).rejects.toThrow('Invalid `timeout`')
    await users.set('a', { n: 1 })
    // Nobody drains: the entry is still there when the timeout passes.
    expect(await users.flushNow(50)).toBe(1)
    expect(await cache().flushNow()).toBe(0)
  })

  it('a write-behind cache named like its queues is refused', () => {
    expect(() => cache({ writeBehind: { flush: () => {} } }, '_wb')).toThrow(
      'Expected a cache name that does not start with `_wb:`',
    )
  })

  it('close() does not wait for the queue that another instance drains (its flush hangs here)', async () => {
    let started!: () => void
    const flushing = new Promise<void>((resolve) => {
      started = resolve
    })
    const holder = cache<string, { n: number }>({
      writeBehind: {
        flush: () => {
          started()
          return new Promise<void>(() => {})
        },
        pollInterval: 10,
        drainTimeout: 100,
      },
    })
    await holder.set('a', { n: 1 })
    await flushing
    const closing = cache<string, { n: number }>(
      { writeBehind: { flush: () => {}, drainTimeout: '1m' } },
      holder.name,
    )
    const closed = await Promise.race([
      closing.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(resolve, 10_000, 'still waiting')),
    ])
    expect(closed).toBe('closed')
    // The entry stays pending with the holder, never acknowledged.
    expect(await sharedClient().xlen(`_wb:${holder.name}:queue`)).toBe(1)
  })

  it('close() drains what it can and gives the lease up', async () => {
    const source = recordingSource()
    const users = cache<string, { n: number }>({ writeBehind: { flush: source.flush, pollInterval: 60_000 } })
    await users.set('a', { n: 1 })
    await users.close()
    expect(source.rows.get('a')).toEqual({ n: 1 })
    expect(await sharedClient().exists(`_wb:${users.name}:lease`)).toBe(0)
  })
})
