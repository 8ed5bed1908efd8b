import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LockLoss } from '../../src/lock/redis-lock.js'
import { groupScripts, RedisLockGroup } from '../../src/lock/redis-lock-group.js'
import type { Arg, TransportView } from '../../src/redis/transport-view.js'

/** Lets every promise callback and tick that can run, run. */
const settled = async (): Promise<void> => {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve))
}

/**
 * Lock keys in memory, and the group's scripts run on them as Redis would (TTLs left out: the test
 * expires a lock by deleting it). A key's slot is its first character, when `slotted`.
 */
class FakeLockStore {
  readonly values = new Map<string, string>()
  /** Every script sent: which, and its keys. */
  readonly sent: { script: string; keys: string[] }[] = []
  /** When set, every command fails with it (Redis is down). */
  failure: Error | undefined

  constructor(readonly slotted = false) {}

  get view(): TransportView {
    const router = this.slotted ? { slotOf: (key: string) => key.charCodeAt(0) } : undefined
    return {
      router,
      command: (name: string, args: Arg[]) => this.#run(name, args),
    } as unknown as TransportView
  }

  async #run(name: string, args: Arg[]): Promise<number[]> {
    if (this.failure !== undefined) throw this.failure
    expect(name).toBe('EVAL')
    const [source, count, ...rest] = args
    const keys = rest.slice(0, Number(count)).map(String)
    const token = String(rest[Number(count)])
    const script = Object.entries(groupScripts).find(([, text]) => text === source)?.[0] ?? 'unknown'
    this.sent.push({ script, keys })
    return keys.map((key) => {
      if (script === 'acquire') {
        if (this.values.has(key)) return 0
        this.values.set(key, token)
        return 1
      }
      if (this.values.get(key) !== token) return 0
      if (script === 'release') this.values.delete(key)
      return 1
    })
  }
}

describe('RedisLockGroup', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('takes the keys asked for in one tick with one script, and not those held elsewhere', async () => {
    const store = new FakeLockStore()
    store.values.set('held', 'another token')
    const group = new RedisLockGroup(store.view, 10_000)
    const keys = ['a', 'held', 'b', 'c']
    const taken = await Promise.all(keys.map((key) => group.lock(key, () => {}).acquire()))
    expect(taken).toEqual([true, false, true, true])
    expect(store.sent).toEqual([{ script: 'acquire', keys }])
    expect(group.size).toBe(3)
    expect(store.values.get('held')).toBe('another token')
    // A key asked for in a later tick goes in a script of its own.
    expect(await group.lock('d', () => {}).acquire()).toBe(true)
    expect(store.sent.map(({ keys }) => keys)).toEqual([keys, ['d']])
  })

  it('sends one script per slot on a Cluster', async () => {
    const store = new FakeLockStore(true)
    const group = new RedisLockGroup(store.view, 10_000)
    const keys = ['a1', 'b1', 'a2', 'c1', 'b2']
    const locks = keys.map((key) => group.lock(key, () => {}))
    expect(await Promise.all(locks.map((lock) => lock.acquire()))).toEqual([true, true, true, true, true])
    expect(store.sent.map(({ keys }) => keys)).toEqual([['a1', 'a2'], ['b1', 'b2'], ['c1']])
    await Promise.all(locks.map((lock) => lock.release()))
    expect(store.sent.slice(3).map(({ keys }) => keys)).toEqual([['a1', 'a2'], ['b1', 'b2'], ['c1']])
    expect(store.values.size).toBe(0)
  })

  it('releases the keys of one tick with one compare-and-delete, and deletes only its own tokens', async () => {
    const store = new FakeLockStore()
    const group = new RedisLockGroup(store.view, 10_000)
    const lost: [string, LockLoss][] = []
    const locks = ['a', 'b', 'c'].map((key) => group.lock(key, (loss) => lost.push([key, loss])))
    await Promise.all(locks.map((lock) => lock.acquire()))
    // b expired and another process took it.
    store.values.set('b', 'another token')
    await Promise.all(locks.map((lock) => lock.release()))
    expect(store.sent.at(-1)).toEqual({ script: 'release', keys: ['a', 'b', 'c'] })
    expect([...store.values]).toEqual([['b', 'another token']])
    expect(lost).toEqual([['b', 'release']])
    // A second release shares the first: nothing more is sent, nothing more is lost.
    await locks[1]?.release()
    expect(store.sent).toHaveLength(2)
    expect(lost).toHaveLength(1)
  })

  it('discards a lock without telling anyone, even when it was not its own', async () => {
    const store = new FakeLockStore()
    store.values.set('a', 'another token')
    const group = new RedisLockGroup(store.view, 10_000)
    const onLost = vi.fn()
    const lock = group.lock('a', onLost)
    expect(await lock.acquire()).toBe(false)
    await lock.discard()
    expect(store.values.get('a')).toBe('another token')
    expect(onLost).not.toHaveBeenCalled()
  })

  it('extends every held lock with one script every ttl / 2, and reports a lost one once', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const store = new FakeLockStore()
    const group = new RedisLockGroup(store.view, 1_000)
    const lost: [string, LockLoss][] = []
    const locks = ['a', 'b', 'c'].map((key) => group.lock(key, (loss) => lost.push([key, loss])))
    await Promise.all(locks.map((lock) => lock.acquire()))
    vi.advanceTimersByTime(499)
    await settled()
    expect(store.sent).toHaveLength(1)
    vi.advanceTimersByTime(1)
    await settled()
    expect(store.sent.at(-1)).toEqual({ script: 'extend', keys: ['a', 'b', 'c'] })
    expect(lost).toEqual([])
    // b vanishes (FLUSHALL, eviction): the next extension finds it gone; it is not extended again.
    store.values.delete('b')
    vi.advanceTimersByTime(500)
    await settled()
    expect(lost).toEqual([['b', 'extend']])
    expect(group.size).toBe(2)
    vi.advanceTimersByTime(500)
    await settled()
    expect(store.sent.at(-1)).toEqual({ script: 'extend', keys: ['a', 'c'] })
    expect(lost).toHaveLength(1)
    // Released, b's loss is not told again; once none is held, nothing is extended.
    await Promise.all(locks.map((lock) => lock.release()))
    expect(lost).toHaveLength(1)
    const sent = store.sent.length
    vi.advanceTimersByTime(5_000)
    await settled()
    expect(store.sent).toHaveLength(sent)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps extending while Redis fails, and rejects the acquisitions it cannot send', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const store = new FakeLockStore()
    const group = new RedisLockGroup(store.view, 1_000)
    const onLost = vi.fn()
    const lock = group.lock('a', onLost)
    expect(await lock.acquire()).toBe(true)
    const down = new Error('down')
    store.failure = down
    await expect(group.lock('b', onLost).acquire()).rejects.toBe(down)
    vi.advanceTimersByTime(500)
    await settled()
    // An unanswered extension is no loss: the lock may still hold.
    expect(onLost).not.toHaveBeenCalled()
    expect(group.size).toBe(1)
    store.failure = undefined
    vi.advanceTimersByTime(500)
    await settled()
    expect(store.sent.at(-1)).toEqual({ script: 'extend', keys: ['a'] })
    await expect(lock.release()).resolves.toBeUndefined()
    expect(store.values.size).toBe(0)
    expect(onLost).not.toHaveBeenCalled()
  })
})
