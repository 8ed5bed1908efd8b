import { randomBytes } from 'node:crypto'
import type { TransportView } from '../redis/transport-view.js'
import type { HeldLock, LockLoss } from './redis-lock.js'

// The same locks as RedisLock's (`SET key token NX PX ttl`, extended and released only while they
// hold the token), for many keys of one slot in one script: each replies with a 1 or 0 per key.
export const groupScripts = {
  acquire: `local r = {} for i, key in ipairs(KEYS) do if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then r[i] = 1 else r[i] = 0 end end return r`,
  extend: `local r = {} for i, key in ipairs(KEYS) do if redis.call('GET', key) == ARGV[1] then r[i] = redis.call('PEXPIRE', key, ARGV[2]) else r[i] = 0 end end return r`,
  release: `local r = {} for i, key in ipairs(KEYS) do if redis.call('GET', key) == ARGV[1] then r[i] = redis.call('DEL', key) else r[i] = 0 end end return r`,
} as const

type Script = keyof typeof groupScripts

/** One key's part in a script call, and who hears the key's 1 or 0. */
interface Part {
  lock: GroupLock
  settle: (done: boolean) => void
  fail: (error: unknown) => void
}

/**
 * The locks of one getOrSetMany call: each key's lock is the same Redis lock a getOrSet takes (so
 * the two exclude each other), but the acquisitions asked for within one tick leave as one script
 * per slot (one in all on a single node), the held locks are extended together every `ttl / 2` by
 * one script per slot, and the releases of one tick go as one compare-and-delete script per slot.
 * The locks share one random token: each key is locked at most once at a time by a group.
 */
export class RedisLockGroup {
  readonly #batcher: TransportView
  readonly #ttlMs: number
  readonly #token = randomBytes(12).toString('base64url')
  /** The locks this group holds now (acquired, not yet released, not found lost). */
  readonly #held = new Set<GroupLock>()
  #renewal: NodeJS.Timeout | undefined
  /** The acquisitions and releases of this tick, sent together at its end. */
  #acquiring: Part[] = []
  #releasing: Part[] = []
  #flushing = false

  /**
   * Called with the locks whose acquisition script was just queued, on a single node only: what it
   * queues at once leaves in the same pipeline, after the script, on the same connection, so Redis
   * runs it after taking the locks (getOrSetMany reads the values under the locks so, in the same
   * round trip). On a Cluster the entries may live on other nodes than their locks: not called.
   */
  readonly #afterAcquiring: ((locks: GroupLock[]) => void) | undefined

  constructor(batcher: TransportView, ttlMs: number, afterAcquiring?: (locks: GroupLock[]) => void) {
    this.#batcher = batcher
    this.#ttlMs = ttlMs
    this.#afterAcquiring = afterAcquiring
  }

  /** A lock on Redis key `key`, not yet taken; `onLost` hears (at most once) that it vanished under its holder. */
  lock(key: string, onLost: (loss: LockLoss) => void): GroupLock {
    return new GroupLock(this, key, onLost)
  }

  /** How many locks the group holds now. */
  get size(): number {
    return this.#held.size
  }

  /** @internal Queues `lock`'s acquisition for this tick's script; true if taken. */
  acquire(lock: GroupLock): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#acquiring.push({ lock, settle: resolve, fail: reject })
      this.#schedule()
    }).then((taken) => {
      if (taken) this.#hold(lock)
      return taken
    })
  }

  /** @internal Queues `lock`'s compare-and-delete for this tick's script; true if it still held the token. */
  release(lock: GroupLock): Promise<boolean> {
    this.#unhold(lock)
    return new Promise<boolean>((resolve, reject) => {
      this.#releasing.push({ lock, settle: resolve, fail: reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#flushing) return
    this.#flushing = true
    process.nextTick(() => {
      this.#flushing = false
      const acquiring = this.#acquiring
      const releasing = this.#releasing
      this.#acquiring = []
      this.#releasing = []
      // Releases first: a key released and asked for again in one tick is free for the second ask.
      if (releasing.length > 0) this.#send('release', releasing)
      if (acquiring.length === 0) return
      this.#send('acquire', acquiring)
      if (this.#batcher.router === undefined) this.#afterAcquiring?.(acquiring.map((part) => part.lock))
    })
  }

  #hold(lock: GroupLock): void {
    this.#held.add(lock)
    // unref: a renewal alone must not keep a process alive.
    this.#renewal ??= setInterval(() => this.#extend(), Math.max(1, Math.floor(this.#ttlMs / 2))).unref()
  }

  #unhold(lock: GroupLock): void {
    this.#held.delete(lock)
    if (this.#held.size === 0 && this.#renewal !== undefined) {
      clearInterval(this.#renewal)
      this.#renewal = undefined
    }
  }

  #extend(): void {
    const parts: Part[] = [...this.#held].map((lock) => ({
      lock,
      settle: (extended) => {
        // Gone under its holder (expired, or taken over): it is no longer extended, and its holder hears.
        if (extended || !this.#held.has(lock)) return
        this.#unhold(lock)
        lock.lost('extend')
      },
      // Redis did not answer: the locks may still hold; the next renewal tries again.
      fail: () => {},
    }))
    if (parts.length > 0) this.#send('extend', parts)
  }

  /** One script per slot of `parts`' keys (all the keys share one slot when `hashTag` is set). */
  #send(script: Script, parts: Part[]): void {
    const router = this.#batcher.router
    const bySlot = new Map<number, Part[]>()
    for (const part of parts) {
      const slot = router === undefined ? 0 : router.slotOf(part.lock.key)
      const group = bySlot.get(slot)
      if (group === undefined) bySlot.set(slot, [part])
      else group.push(part)
    }
    const ttl = script === 'release' ? [] : [this.#ttlMs]
    for (const group of bySlot.values()) {
      const keys = group.map((part) => part.lock.key)
      const args = [groupScripts[script], keys.length, ...keys, this.#token, ...ttl]
      this.#batcher.command<unknown>('EVAL', args).then(
        (reply) => {
          const flags = Array.isArray(reply) ? reply : []
          group.forEach((part, index) => {
            part.settle(flags[index] === 1)
          })
        },
        (error: unknown) => {
          for (const part of group) part.fail(error)
        },
      )
    }
  }
}

/**
 * One key's lock in a group: acquired, extended and released with the group's other keys (see
 * RedisLockGroup); to read-through it is a lock like RedisLock.
 */
export class GroupLock implements HeldLock {
  readonly key: string
  readonly #group: RedisLockGroup
  readonly #onLost: (loss: LockLoss) => void
  #lost = false
  #releasing: Promise<void> | undefined

  constructor(group: RedisLockGroup, key: string, onLost: (loss: LockLoss) => void) {
    this.#group = group
    this.key = key
    this.#onLost = onLost
  }

  /** Takes the lock if nobody holds it (with the other keys asked for in this tick). Rejects if Redis fails. */
  acquire(): Promise<boolean> {
    return this.#group.acquire(this)
  }

  /** Lets the lock go if it is still ours; once (a second call shares the first's outcome). Rejects if Redis fails. */
  release(): Promise<void> {
    this.#releasing ??= this.#group.release(this).then((deleted) => {
      if (!deleted) this.lost('release')
    })
    return this.#releasing
  }

  /** Deletes the lock if it holds the group's token, and tells no one (an acquisition whose outcome is unknown). */
  async discard(): Promise<void> {
    await this.#group.release(this)
  }

  /** @internal The lock was found gone before its release: its holder hears, once. */
  lost(loss: LockLoss): void {
    if (this.#lost) return
    this.#lost = true
    this.#onLost(loss)
  }
}
