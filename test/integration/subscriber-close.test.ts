import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it, vi } from 'vitest'
import { subscriberHub } from '../../src/sync/subscriber-hub.js'
import { trackingHub } from '../../src/sync/tracking-hub.js'
import { uniqueName } from '../support/cache-builder.js'

// A subscriber connection flipcache owns is closed when its last cache leaves. If that happens while
// the connection is reconnecting after a drop, with its ready check (INFO) on its way, ioredis turns
// it ready on a socket already ended and subscribes it again by itself: that SUBSCRIBE waits in the
// offline queue, and the close rejects it with "Connection is closed.". ioredis keeps no handler on
// it, so, unless flipcache gives it one, it is an unhandled rejection (seen once in CI, in sync.test.ts,
// whose tests drop subscriber connections and then close their caches).

const clients: Redis[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect()
})

/** A client of the test's, and every connection flipcache duplicates from it, as they are made. */
function clientWithDuplicates(): { client: Redis; duplicates: Redis[] } {
  const client = new Redis(inject('redisUrl'))
  client.on('error', () => {})
  clients.push(client)
  const duplicates: Redis[] = []
  const duplicate = client.duplicate.bind(client)
  vi.spyOn(client, 'duplicate').mockImplementation((override) => {
    const made = duplicate(override)
    duplicates.push(made)
    clients.push(made)
    return made
  })
  return { client, duplicates }
}

/**
 * Drops `connection` (ioredis reconnects it, and resubscribes it once ready), and calls `close` just
 * after the reconnection's ready check has been sent; resolves to the unhandled rejections seen
 * until the connection has ended, whether the ready check was seen at all, and how many SUBSCRIBEs
 * were sent after it (ioredis's own resubscription: the case this is about).
 */
async function closeDuringReadyCheck(
  connection: Redis,
  close: () => void,
): Promise<{ readyChecked: boolean; resubscribed: number; unhandled: unknown[] }> {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason)
  }
  process.on('unhandledRejection', onUnhandled)
  try {
    let readyChecked = false
    let resubscribed = 0
    type Send = (...args: unknown[]) => Promise<unknown>
    const methods = connection as unknown as { info: Send; subscribe: Send }
    // Counted only: no handler is added here, so that a rejection nobody handles stays unhandled.
    const subscribe = methods.subscribe.bind(connection)
    methods.subscribe = (...args) => {
      if (readyChecked) resubscribed++
      return subscribe(...args)
    }
    const info = methods.info.bind(connection)
    // ioredis's ready check is an INFO sent while the connection's status is 'connect'.
    methods.info = (...args) => {
      const sent = info(...args)
      if (connection.status === 'connect' && !readyChecked) {
        readyChecked = true
        close()
      }
      return sent
    }
    const ended = new Promise((resolve) => connection.once('end', resolve))
    connection.disconnect(true)
    await ended
    // A rejection nobody handles is reported once the tick it happened in is over.
    await new Promise((resolve) => setTimeout(resolve, 20))
    return { readyChecked, resubscribed, unhandled }
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
}

describe('a subscriber connection closed while it reconnects', () => {
  it("the pub/sub hub's: ioredis's own resubscription does not become an unhandled rejection", async () => {
    const { client, duplicates } = clientWithDuplicates()
    const stop = await subscriberHub(client).listen(`${uniqueName()}:__sync`, { message: () => {} }, 5_000)
    const [subscriber] = duplicates
    expect(duplicates).toHaveLength(1)
    expect(subscriber?.status).toBe('ready')
    // The last listener leaves: the hub closes its connection, mid ready check.
    const outcome = await closeDuringReadyCheck(subscriber as Redis, stop)
    expect(outcome).toEqual({ readyChecked: true, resubscribed: 1, unhandled: [] })
    expect(subscriber?.status).toBe('end')
  })

  it("the tracking hub's: ioredis's own resubscription does not become an unhandled rejection", async () => {
    const { client, duplicates } = clientWithDuplicates()
    const stop = await trackingHub(client).register(
      `${uniqueName()}:`,
      {
        invalidated: () => {},
        siblingWrote: () => {},
        reconnected: () => {},
        unarmed: () => {},
        writesInPart: false,
      },
      5_000,
    )
    // One connection of its own: the RESP2 subscriber (named, to be found in CLIENT LIST); the
    // client's own connection tracks.
    const subscriber = duplicates.find((each) => each.options.connectionName !== undefined)
    expect(duplicates).toHaveLength(1)
    expect(subscriber?.status).toBe('ready')
    const outcome = await closeDuringReadyCheck(subscriber as Redis, () => {
      stop().catch(() => {})
    })
    expect(outcome).toEqual({ readyChecked: true, resubscribed: 1, unhandled: [] })
    expect(subscriber?.status).toBe('end')
  })
})
