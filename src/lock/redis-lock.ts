import { randomBytes } from 'node:crypto'
import type { TransportView } from '../redis/transport-view.js'

// Both scripts act only while the lock still holds this holder's token, so a holder whose lock
// expired (and was taken by another) can neither extend nor delete the other's lock.
const extendScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

/** Why a held lock was lost: it expired or was deleted (FLUSHALL, eviction) before its holder released it. */
export type LockLoss = 'extend' | 'release'

/** A lock read-through takes for a load: a RedisLock, or one key of a RedisLockGroup. */
export interface HeldLock {
  /** The lock's Redis key. */
  readonly key: string
  /** Takes the lock if nobody holds it, and keeps extending it while held. Rejects if Redis fails. */
  acquire(): Promise<boolean>
  /** Lets the lock go (only if it is still ours), once. Rejects if Redis fails. */
  release(): Promise<void>
  /** Deletes the lock if it is ours and tells no one (an acquisition whose outcome is unknown). */
  discard(): Promise<void>
}

/**
 * A Redis lock that makes one process run a loader: `SET key token NX PX ttl` with a random token;
 * extended every `ttl / 2` while held; released by compare-and-delete in Lua.
 */
export class RedisLock implements HeldLock {
  readonly key: string
  readonly #batcher: TransportView
  readonly #ttlMs: number
  readonly #token = randomBytes(12).toString('base64url')
  readonly #onLost: (loss: LockLoss) => void
  #renewal: NodeJS.Timeout | undefined
  #lost = false
  #releasing: Promise<void> | undefined

  /** `onLost` is called at most once, if the lock turns out to be gone before `release()`. */
  constructor(batcher: TransportView, key: string, ttlMs: number, onLost: (loss: LockLoss) => void) {
    this.#batcher = batcher
    this.key = key
    this.#ttlMs = ttlMs
    this.#onLost = onLost
  }

  /** Takes the lock if nobody holds it, and keeps extending it while held. Rejects if Redis fails. */
  async acquire(): Promise<boolean> {
    const reply = await this.#batcher.command<string | null>('SET', [
      this.key,
      this.#token,
      'NX',
      'PX',
      this.#ttlMs,
    ])
    if (reply !== 'OK') return false
    // unref: a renewal alone must not keep a process alive.
    this.#renewal = setInterval(() => this.#extend(), Math.max(1, Math.floor(this.#ttlMs / 2))).unref()
    return true
  }

  /**
   * Lets the lock go (only if it is still ours). Rejects if Redis fails; the lock then expires by
   * itself. Released once: a second call (close() let it go first) shares the first's outcome.
   */
  release(): Promise<void> {
    this.#releasing ??= this.#release()
    return this.#releasing
  }

  async #release(): Promise<void> {
    clearInterval(this.#renewal)
    this.#renewal = undefined
    const deleted = await this.#batcher.command<number>('EVAL', [releaseScript, 1, this.key, this.#token])
    if (deleted !== 1) this.#lose('release')
  }

  /**
   * Deletes the lock if it holds this holder's token, and tells no one: for an acquisition whose
   * outcome is unknown (it timed out, but Redis may still apply it). Sent after the acquisition on
   * the same connection, so Redis applies it after. Rejects if Redis fails.
   */
  async discard(): Promise<void> {
    clearInterval(this.#renewal)
    this.#renewal = undefined
    await this.#batcher.command<number>('EVAL', [releaseScript, 1, this.key, this.#token])
  }

  #extend(): void {
    this.#batcher.command<number>('EVAL', [extendScript, 1, this.key, this.#token, this.#ttlMs]).then(
      (extended) => {
        if (extended === 1 || this.#renewal === undefined) return
        clearInterval(this.#renewal)
        this.#renewal = undefined
        this.#lose('extend')
      },
      // Redis did not answer: the lock may still hold; the next renewal tries again.
      () => {},
    )
  }

  #lose(loss: LockLoss): void {
    if (this.#lost) return
    this.#lost = true
    this.#onLost(loss)
  }
}
