import { describe, expect, it, vi } from 'vitest'
import type { FlipCache } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { gate } from '../support/fake-clock.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'

/** What became of a call: its value, or its error's code. */
function outcomeOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => ({ value }),
    (error: { code?: string }) => ({ code: error.code }),
  )
}

/** Whether `promise` is still pending once everything queued before has run. */
async function pending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending')
  const raced = await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise((resolve) => setImmediate(() => resolve(marker))),
  ])
  return raced === marker
}

// The tests freeze the server, and read lock keys: a server of their own.
const own = useOwnServer()

describe('close() settles every pending call', () => {
  const { cache, client } = useCaches(() => own.server.url)

  async function lockTaken(items: FlipCache<string, string>, key: string): Promise<void> {
    for (;;) {
      if ((await own.admin.exists(`_lock:${items.name}:${key}`)) === 1) return
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  it('rejects the callers of a loader that never settles with E_CLOSED at once; the late value is never stored', async () => {
    // timeout 3 s: the running load's grace period, during which close() is still on its way.
    const items = cache<string, string>({ redis: client(), valueType: 'string', timeout: '3s' })
    const finish = gate<string>()
    let signal: AbortSignal | undefined
    const loader = (context: { signal: AbortSignal }) => {
      signal = context.signal
      return finish.opened
    }
    const callers = [
      items.getOrSet('k', loader),
      items.getOrSet('k', loader),
      items.wrap((_key: string) => finish.opened)('k'),
    ]
    const outcomes = callers.map(outcomeOf)
    await lockTaken(items, 'k')
    // The loader runs once the lock's reply has reached this client, which may be a moment after
    // Redis has the lock: a cache closed in between never calls it (another test's case).
    await vi.waitFor(() => expect(signal).toBeDefined(), patience)
    const closing = items.close()
    // Every caller has its answer while close() still gives the load its time.
    expect(await Promise.all(outcomes)).toEqual([
      { code: 'E_CLOSED' },
      { code: 'E_CLOSED' },
      { code: 'E_CLOSED' },
    ])
    expect(await pending(closing)).toBe(true)
    await closing
    // Past its time the load was given up: its signal aborted, its lock let go.
    expect(signal?.reason).toMatchObject({ code: 'E_CLOSED' })
    expect(await own.admin.exists(`_lock:${items.name}:k`)).toBe(0)
    // The loader returns after all: nothing reaches Redis (and nothing rejects unhandled).
    finish.open('late')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await own.admin.exists(`${items.name}:k`)).toBe(0)
    await expect(items.get('k')).rejects.toMatchObject({ code: 'E_CLOSED' })
  })

  it("rejects a caller waiting for another instance's lock at once, and lets the holder finish", async () => {
    const name = uniqueName()
    const holder = cache<string, string>({ redis: client(), valueType: 'string' }, name)
    const waiter = cache<string, string>({ redis: client(), valueType: 'string' }, name)
    await Promise.all([holder.ready(), waiter.ready()])
    const finish = gate<string>()
    const holding = holder.getOrSet('k', () => finish.opened)
    await lockTaken(holder, 'k')
    const waiting = outcomeOf(waiter.getOrSet('k', async () => 'never called'))
    // It waits for the holder's notice (its lock wait is 10 s); closing its cache ends the wait.
    expect(await pending(waiting)).toBe(true)
    await waiter.close()
    expect(await waiting).toEqual({ code: 'E_CLOSED' })
    finish.open('held')
    expect(await holding).toBe('held')
    expect(await own.admin.get(`${name}:k`)).toBe('held')
  })

  it('rejects get(), getMany(), has() and a keys() scan waiting on a frozen Redis at once, instead of after its timeout', async () => {
    const items = cache<string, string>({ redis: client(), valueType: 'string', timeout: '10s' })
    await items.ready()
    own.server.freeze()
    try {
      const reading = outcomeOf(items.get('k'))
      const many = outcomeOf(items.getMany(['a', 'b']))
      const checking = outcomeOf(items.has('k'))
      const scanning = outcomeOf(items.keys().next())
      const started = performance.now()
      const closing = items.close()
      expect(await Promise.all([reading, many, checking, scanning])).toEqual(
        Array.from({ length: 4 }, () => ({ code: 'E_CLOSED' })),
      )
      // A bound far below the 10 s timeout, sized for a loaded machine.
      expect(performance.now() - started).toBeLessThan(3_000)
      await closing
    } finally {
      own.server.thaw()
    }
  })

  it('lets a write already sent settle with its own outcome', async () => {
    const items = cache<string, string>({ redis: client(), valueType: 'string' })
    await items.get('warm')
    // set() queues its command at once; close() comes in the same tick, before it is answered.
    const writing = items.set('k', 'v')
    const closing = items.close()
    await writing
    await closing
    expect(await own.admin.get(`${items.name}:k`)).toBe('v')
  })
})
