import type { RedisClient } from '../redis/connection.js'

/**
 * The callers waiting for one client's next 'close', told by one listener that leaves with the
 * last of them: however many caches wait on a client, it carries one listener (Node warns past ten),
 * and a long-lived client keeps nothing once they are done.
 */
class CloseWaiters {
  readonly #client: RedisClient
  readonly #waiters = new Set<() => void>()
  readonly #closed = (): void => {
    closeWaiters.delete(this.#client)
    for (const waiter of this.#waiters) waiter()
    this.#waiters.clear()
  }

  constructor(client: RedisClient) {
    this.#client = client
    client.once('close', this.#closed)
  }

  add(waiter: () => void): void {
    this.#waiters.add(waiter)
  }

  remove(waiter: () => void): void {
    if (!this.#waiters.delete(waiter) || this.#waiters.size > 0) return
    if (closeWaiters.get(this.#client) === this) closeWaiters.delete(this.#client)
    this.#client.off('close', this.#closed)
  }
}

const closeWaiters = new WeakMap<RedisClient, CloseWaiters>()

/**
 * Resolves once `listening` settles, `client` is seen not to reach Redis (now, or at its next
 * 'close'), or `ms` pass, whichever comes first. It leaves nothing behind on the client once settled:
 * caches come and go on a long-lived client, and a reaction left on a promise the client keeps
 * (one per cache, for as long as the client lives) is a leak.
 */
export function untilListening(listening: Promise<unknown>, client: RedisClient, ms: number): Promise<void> {
  const { status } = client
  if (status === 'reconnecting' || status === 'end' || status === 'close') return Promise.resolve()
  let waiters = closeWaiters.get(client)
  if (waiters === undefined) {
    waiters = new CloseWaiters(client)
    closeWaiters.set(client, waiters)
  }
  const watching = waiters
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      watching.remove(done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    watching.add(done)
    listening.then(done, done)
  })
}
