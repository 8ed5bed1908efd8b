import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FlipCacheError } from '../../src/index.js'
import { prepareBatch, type WriteBehindChange } from '../../src/write-behind/changes.js'
import { type DrainQueue, DrainStep } from '../../src/write-behind/drain-step.js'
import type { QueuedEntry, Taken } from '../../src/write-behind/queue.js'
import { queueKeysOf } from '../../src/write-behind/queue-keys.js'

const entry = (id: string, key: string, value?: string, deliveries = 1): QueuedEntry => ({
  id,
  key,
  value: value === undefined ? undefined : Buffer.from(value),
  deliveries,
})

const decoders = {
  key: (encoded: string) => encoded,
  value: (_key: string, stored: Buffer) => {
    const text = stored.toString()
    if (text === 'bad') throw new Error('not a value')
    return text
  },
}

describe('prepareBatch', () => {
  it('an entry without a key goes to the dead letters', () => {
    const prepared = prepareBatch(
      [{ id: '1', key: undefined, value: undefined, deliveries: 1 }, entry('2', 'a')],
      decoders,
    )
    expect(prepared.changes).toEqual([{ op: 'delete', key: 'a' }])
    expect(prepared.undecodable?.ids).toEqual(['1'])
  })

  it('keeps the latest change per key, in the order of those latest entries, and every id', () => {
    const prepared = prepareBatch(
      [
        entry('1', 'a', 'a1'),
        entry('2', 'b', 'b1'),
        entry('3', 'a'),
        entry('4', 'c', 'c1'),
        entry('5', 'b', 'b2'),
      ],
      decoders,
    )
    expect(prepared.changes).toEqual([
      { op: 'delete', key: 'a' },
      { op: 'set', key: 'c', value: 'c1' },
      { op: 'set', key: 'b', value: 'b2' },
    ])
    expect(prepared.keys).toEqual(['a', 'c', 'b'])
    expect(prepared.ids.sort()).toEqual(['1', '2', '3', '4', '5'])
    expect(prepared.undecodable).toBeUndefined()
  })

  it('a key whose latest entry does not decode gives no change: all its entries go to the dead letters', () => {
    const prepared = prepareBatch(
      [entry('1', 'a', 'ok'), entry('2', 'a', 'bad'), entry('3', 'b', 'ok')],
      decoders,
    )
    expect(prepared.changes).toEqual([{ op: 'set', key: 'b', value: 'ok' }])
    expect(prepared.undecodable?.ids).toEqual(['1', '2'])
    expect(prepared.undecodable?.keys).toEqual(['a'])
  })
})

/** A queue in memory that hands out `batches` in turn and records what the drain step did. */
function fakeQueue(batches: QueuedEntry[][]) {
  const log: string[] = []
  let holder = true
  const queue: DrainQueue = {
    keys: queueKeysOf('t:'),
    take: async (): Promise<Taken> => {
      if (!holder) return { kind: 'not-holder' }
      return { kind: 'batch', entries: batches.shift() ?? [] }
    },
    renew: async () => holder,
    release: async () => {},
    settle: async (ids) => {
      log.push(`settle ${ids.join(',')}`)
    },
    deadLetter: async (ids, reason) => {
      log.push(`dead ${ids.join(',')}: ${reason}`)
    },
    length: async () => batches.flat().length,
  }
  return {
    queue,
    log,
    loseLease() {
      holder = false
    },
  }
}

describe('DrainStep', () => {
  let now = 0
  beforeEach(() => {
    now = 0
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  function stepWith(batches: QueuedEntry[][], flush: (changes: WriteBehindChange<string, string>[]) => void) {
    const fake = fakeQueue(batches)
    const errors: FlipCacheError[] = []
    const step = new DrainStep<string, string>({
      queue: fake.queue,
      consumer: 'me',
      flush,
      decoders,
      batchSize: 2,
      claimAfterMs: 30_000,
      maxAttempts: 4,
      retryDelayMs: 1000,
      report: (error) => errors.push(error),
      now: () => now,
    })
    return { step, errors, ...fake }
  }

  it('acknowledges a batch only once flush resolved; a full batch says more may wait', async () => {
    const flushed: string[] = []
    const { step, log } = stepWith(
      [[entry('1', 'a', 'x'), entry('2', 'b', 'y')], [entry('3', 'c', 'z')]],
      (changes) => {
        flushed.push(changes.map((change) => change.key).join(','))
        expect(log).toEqual(flushed.length === 1 ? [] : ['settle 1,2'])
      },
    )
    expect(await step.run()).toBe('busy')
    expect(await step.run()).toBe('idle')
    expect(await step.run()).toBe('idle')
    expect(flushed).toEqual(['a,b', 'c'])
    expect(log).toEqual(['settle 1,2', 'settle 3'])
  })

  it('retries a failed batch after 1 s, 2 s, 4 s, then moves it to the dead letters (E_DEAD_LETTER)', async () => {
    const attempts: number[] = []
    const { step, log, errors } = stepWith([[entry('1', 'a', 'x')]], () => {
      attempts.push(now)
      throw new Error('db down')
    })
    expect(await step.run()).toBe('idle')
    for (const [at, outcome] of [
      [999, 'backoff'],
      [1000, 'busy'],
      [2999, 'backoff'],
      [3000, 'busy'],
      [6999, 'backoff'],
      [7000, 'busy'],
    ] as const) {
      now = at
      expect(await step.run()).toBe(outcome)
    }
    expect(attempts).toEqual([0, 1000, 3000, 7000])
    expect(log).toEqual(['dead 1: flush failed 4 times: db down'])
    expect(errors.map((error) => [error.code, (error as { keys?: string[] }).keys])).toEqual([
      ['E_DEAD_LETTER', ['a']],
    ])
    expect(step.dueAt).toBeUndefined()
  })

  it('counts earlier deliveries (a lost drainer’s attempts) towards maxAttempts', async () => {
    const { step, log } = stepWith([[entry('1', 'a', 'x', 4)]], () => {
      throw new Error('still down')
    })
    await step.run()
    expect(log).toEqual(['dead 1: flush failed 4 times: still down'])
  })

  it('gives a held batch up, unflushed and unacknowledged, once another instance holds the lease', async () => {
    let calls = 0
    const { step, log, loseLease } = stepWith([[entry('1', 'a', 'x')]], () => {
      calls++
      throw new Error('db down')
    })
    await step.run()
    loseLease()
    now = 5000
    expect(await step.run()).toBe('not-holder')
    expect(calls).toBe(1)
    expect(log).toEqual([])
    expect(step.dueAt).toBeUndefined()
  })

  it('hurry() makes a held batch due at once (flushNow, close)', async () => {
    let fail = true
    const { step, log } = stepWith([[entry('1', 'a', 'x')]], () => {
      if (fail) throw new Error('once')
    })
    await step.run()
    fail = false
    step.hurry()
    expect(await step.run()).toBe('busy')
    expect(log).toEqual(['settle 1'])
  })
})
