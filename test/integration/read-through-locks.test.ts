import { describe, expect, it, vi } from 'vitest'
import type { FlipCacheError, LockLostError } from '../../src/index.js'
import { useCaches } from '../support/cache-builder.js'
import { spawnChild } from '../support/child-process.js'
import { commandCalls, countCommands } from '../support/command-stats.js'
import { gate } from '../support/fake-clock.js'
import { useOwnServer } from '../support/own-server.js'
import { patience } from '../support/patience.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until a lock holder has taken the lock of `key` in cache `name`. */
async function lockTaken(name: string, key: string): Promise<void> {
  await vi.waitFor(async () => expect(await own.admin.exists(`_lock:${name}:${key}`)).toBe(1), {
    timeout: 5_000,
    interval: 5,
  })
}

// These tests FLUSHALL, kill lock holders and count commands: they run on a server of their own.
const own = useOwnServer()

describe('getOrSet() locks', () => {
  const { cache, client } = useCaches(() => own.server.url)

  it('a long loader keeps its lock alive past the lock ttl, and others wait instead of loading', async () => {
    const lock = { ttl: 1_000, wait: 10_000 }
    const holder = cache<string, string>({ redis: client(), valueType: 'string', lock })
    const waiter = cache<string, string>({ redis: client(), valueType: 'string', lock }, holder.name)
    // The loader runs until the test lets it finish.
    const finish = gate()
    const loader = vi.fn(async () => {
      await finish.opened
      return 'slow'
    })
    const first = holder.getOrSet('k', loader)
    await lockTaken(holder.name, 'k')
    const second = waiter.getOrSet('k', loader)
    try {
      // What must NOT happen is the lock expiring: twice its ttl has to pass, so this wait is a sleep.
      await sleep(2 * lock.ttl + 100)
      // The lock still stands, extended by its holder, and the waiter has not loaded.
      expect(await own.admin.exists(`_lock:${holder.name}:k`)).toBe(1)
      expect(loader).toHaveBeenCalledTimes(1)
    } finally {
      finish.open()
    }
    expect(await Promise.all([first, second])).toEqual(['slow', 'slow'])
    expect(loader).toHaveBeenCalledTimes(1)
  })

  it('waiters learn of the value from the holder’s notice, without polling Redis in a tight loop', async () => {
    // With a 10 s lock, a waiter that hears nothing polls Redis once a second (the slowest it polls).
    const holder = cache<string, string>({ redis: client(), valueType: 'string', lock: { ttl: 10_000 } })
    const waiters = Array.from({ length: 5 }, () =>
      cache<string, string>({ redis: client(), valueType: 'string', lock: { ttl: 10_000 } }, holder.name),
    )
    // The holder's loader runs until every waiter waits for it.
    const finish = gate()
    const holding = holder.getOrSet('k', async () => {
      await finish.opened
      return 'v'
    })
    await lockTaken(holder.name, 'k')
    await Promise.all(waiters.map((waiter) => waiter.ready()))
    let results: string[] = []
    let answeredInMs = 0
    const commands = await countCommands(own.admin, async () => {
      const before = (await commandCalls(own.admin)).set ?? 0
      const askedAt = performance.now()
      const asking = Promise.all(waiters.map((waiter) => waiter.getOrSet('k', async () => 'other')))
      try {
        // Each waiter has read the key and tried the lock: it now waits, listening for the notice.
        await vi.waitFor(
          async () => expect(((await commandCalls(own.admin)).set ?? 0) - before).toBeGreaterThanOrEqual(5),
          { timeout: 5_000, interval: 5 },
        )
      } finally {
        finish.open()
      }
      results = await asking
      answeredInMs = performance.now() - askedAt
    })
    expect(await holding).toBe('v')
    expect(results).toEqual(Array(5).fill('v'))
    // Woken by the notice: a waiter's first poll comes 1 s after it starts to wait, and they were all
    // answered sooner. (The holder is let go as soon as they wait: a bound of one poll interval that
    // says which of the two woke them, not a speed claim.)
    expect(answeredInMs).toBeLessThan(1_000)
    // Per waiter: a read, a lock attempt, and a read after the notice; at most one more round if a
    // slow machine lets a safety poll fire first. A loop would send hundreds.
    const reads = (commands.get ?? 0) + (commands.mget ?? 0)
    expect(reads).toBeLessThanOrEqual(5 * 4)
    expect(commands.set ?? 0).toBeLessThanOrEqual(5 * 2 + 1)
  })

  it('a waiter that outlives lock.wait loads for itself rather than hang', async () => {
    const holder = cache<string, string>({ redis: client(), valueType: 'string', lock: { ttl: 10_000 } })
    const waiter = cache<string, string>(
      { redis: client(), valueType: 'string', lock: { ttl: 10_000, wait: 150 } },
      holder.name,
    )
    // The holder's loader runs until the end of the test: its lock stands all along.
    const finish = gate<string>()
    const holding = holder.getOrSet('k', () => finish.opened)
    try {
      await lockTaken(holder.name, 'k')
      await waiter.ready()
      expect(await waiter.getOrSet('k', async () => 'own')).toBe('own')
      // It loaded while the holder still held the lock: it stopped waiting after lock.wait.
      expect(await own.admin.exists(`_lock:${holder.name}:k`)).toBe(1)
    } finally {
      finish.open('held')
    }
    expect(await holding).toBe('held')
  })

  it('a lock deleted under its holder (FLUSHALL) does not fail the caller: the value is returned, stored, and E_LOCK_LOST reported', async () => {
    const items = cache<string, string>({ redis: client(), valueType: 'string' })
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    const value = await items.getOrSet('k', async () => {
      await own.admin.flushall()
      return 'v'
    })
    expect(value).toBe('v')
    expect(await own.admin.get(`${items.name}:k`)).toBe('v')
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_LOCK_LOST']), patience)
    expect(errors[0]?.message).toMatch(new RegExp(`_lock:${items.name}:k`))
  })

  it('lockRelease receives a lock lost while its loader ran (the renewal found it gone)', async () => {
    const lost: LockLostError[] = []
    const items = cache<string, string>({
      redis: client(),
      valueType: 'string',
      lock: { ttl: 1_000 },
      lockRelease: (error) => lost.push(error),
    })
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    const value = await items.getOrSet('k', async () => {
      await own.admin.del(`_lock:${items.name}:k`)
      // The loader runs until the next renewal (every 500 ms) has found the lock gone.
      await vi.waitFor(() => expect(lost).toHaveLength(1), { timeout: 5_000 })
      return 'v'
    })
    expect(value).toBe('v')
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatchObject({ code: 'E_LOCK_LOST', key: `_lock:${items.name}:k` })
    expect(errors).toEqual([])
  })

  it('a lockRelease hook that throws does not lose the news: E_LOCK_LOST is reported on error', async () => {
    const items = cache<string, string>({
      redis: client(),
      valueType: 'string',
      lockRelease: () => {
        throw new Error('hook failed')
      },
    })
    const errors: FlipCacheError[] = []
    items.on('error', (error) => errors.push(error))
    const value = await items.getOrSet('k', async () => {
      await own.admin.del(`_lock:${items.name}:k`)
      return 'v'
    })
    expect(value).toBe('v')
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toEqual(['E_LOCK_LOST']), patience)
  })

  it('getOrSet() calls the loader once across 4 processes', async () => {
    const name = `procs-${Date.now()}`
    // Each child's lock would live 5 s unless renewed (every 2.5 s); the others wait up to 20 s for it.
    const children = Array.from({ length: 4 }, () => spawnChild([own.server.url, name, 'k', '200', '5000']))
    try {
      await Promise.all(children.map((child) => child.line('ready')))
      for (const child of children) child.go()
      const results = await Promise.all(children.map((child) => child.line('result')))
      expect(new Set(results).size).toBe(1)
      expect(await own.admin.get(`${name}:loader-calls`)).toBe('1')
    } finally {
      for (const child of children) child.process.kill('SIGKILL')
    }
  }, 30_000)

  it('a lock whose holder process died expires after its ttl, and a waiter then loads under a lock of its own', async () => {
    const name = `dead-${Date.now()}`
    const lockKey = `_lock:${name}:k`
    const holder = spawnChild([own.server.url, name, 'k', '0', '2000', 'hang'])
    try {
      await holder.line('ready')
      holder.go()
      await holder.line('loading')
      // The child took its lock (2 s ttl, renewed every second) before it called the loader.
      const deadToken = await own.admin.get(lockKey)
      expect(deadToken).not.toBeNull()
      holder.process.kill('SIGKILL')
      // The waiter would wait up to 20 s for a holder's value: far longer than the dead lock lives.
      const waiter = cache<string, string>(
        { redis: client(), valueType: 'string', lock: { ttl: 2_000, wait: 20_000 } },
        name,
      )
      let lockWhileLoading: string | null = null
      const value = await waiter.getOrSet('k', async () => {
        lockWhileLoading = await own.admin.get(lockKey)
        return 'survivor'
      })
      expect(value).toBe('survivor')
      // It loaded under a lock of its own, taken once the dead holder's expired (after `wait` it
      // would have loaded without one).
      expect(lockWhileLoading).not.toBeNull()
      expect(lockWhileLoading).not.toBe(deadToken)
    } finally {
      holder.process.kill('SIGKILL')
    }
  }, 30_000)

  it('new FlipCache() refuses a name whose keys hold the locks, so that no clear() can take a held lock', async () => {
    const items = cache<string, string>({ redis: client(), valueType: 'string' })
    const finish = gate<string>()
    const holding = items.getOrSet('k', () => finish.opened)
    await lockTaken(items.name, 'k')
    try {
      expect(() => cache({ redis: client() }, '_lock')).toThrow(/`_lock:\*`.*`lockPrefix`/)
      expect(() => cache({ redis: client() }, `_lock:${items.name}`)).toThrow(TypeError)
      // A name beside the prefix is fine, and its clear() leaves the lock alone.
      const beside = cache({ redis: client() }, '_lockers')
      await beside.clear()
      expect(await own.admin.exists(`_lock:${items.name}:k`)).toBe(1)
    } finally {
      finish.open('v')
    }
    expect(await holding).toBe('v')
  })

  it('close() lets go of the locks this instance still holds', async () => {
    // close() gives running loads `timeout` to finish, then releases their locks. The lock lives a
    // minute, so only the release can remove it within the wait below.
    const items = cache<string, string>({ redis: client(), valueType: 'string', lock: { ttl: '60s' } })
    const finish = gate<string>()
    const hung = items.getOrSet('k', () => finish.opened).catch(() => 'closed')
    await lockTaken(items.name, 'k')
    try {
      await items.close()
      // The release may land a moment after close() gave up waiting for it on a loaded machine.
      await vi.waitFor(async () => expect(await own.admin.exists(`_lock:${items.name}:k`)).toBe(0), patience)
    } finally {
      finish.open('late')
    }
    await hung
  })
})
