import type { RedisClient } from '../redis/connection.js'

/**
 * Resolves once `listening` settles, `client` is seen not to reach Redis (now, or at its next
 * 'close'), or `ms` pass, whichever comes first. It leaves nothing behind on the client once settled:
 * caches come and go on a long-lived client, and a reaction left on a promise the client keeps
 * (one per cache, for as long as the client lives) is a leak.
 */
export function untilListening(listening: Promise<unknown>, client: RedisClient, ms: number): Promise<void> {
  const { status } = client
  if (status === 'reconnecting' || status === 'end' || status === 'close') return Promise.resolve()
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      client.off('close', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    client.once('close', done)
    listening.then(done, done)
  })
}
