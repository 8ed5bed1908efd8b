import { describe, expect, it } from 'vitest'
import { LockNotices } from '../../src/lock/lock-notices.js'
import type { Arg, TransportView } from '../../src/redis/transport-view.js'
import type { SubscriberHub } from '../../src/sync/subscriber-hub.js'

/** Lets every promise callback and tick that can run, run. */
const settled = async (): Promise<void> => {
  for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve))
}

/** The commands sent (coalesced per tick, as the transport does), and the channel's listener. */
function fakes(): {
  view: TransportView
  hub: SubscriberHub
  sent: Arg[][]
  deliver(message: unknown): void
} {
  const sent: Arg[][] = []
  const ticks = new Map<string, { items: Set<string>; sending: Promise<number> }>()
  let listener: ((text: string) => void) | undefined
  const view = {
    coalesce: (key: string, name: string, build: (items: string[]) => Arg[], items: Iterable<string>) => {
      let tick = ticks.get(key)
      if (tick === undefined) {
        const queued = new Set<string>()
        const sending = new Promise<number>((resolve) => {
          process.nextTick(() => {
            ticks.delete(key)
            sent.push([name, ...build([...queued])])
            resolve(1)
          })
        })
        tick = { items: queued, sending }
        ticks.set(key, tick)
      }
      for (const item of items) tick.items.add(item)
      return tick.sending
    },
  } as unknown as TransportView
  const hub = {
    listen: async (_channel: string, handler: { message: (text: string) => void }) => {
      listener = handler.message
      return () => {}
    },
  } as unknown as SubscriberHub
  return { view, hub, sent, deliver: (message) => listener?.(JSON.stringify(message)) }
}

function notices(view: TransportView, hub: SubscriberHub, origin: string): LockNotices {
  return new LockNotices({ name: 'c', origin, batcher: view, hub, timeoutMs: 1_000, sharded: false })
}

/** Whether `promise` has settled by now. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false
  void promise.then(() => {
    done = true
  })
  await settled()
  return done
}

describe('LockNotices', () => {
  it('sends the notices of one tick as one message, the first key where single-key receivers read it', async () => {
    const { view, hub, sent } = fakes()
    const holder = notices(view, hub, 'me')
    await Promise.all([holder.loaded('a'), holder.loaded('b'), holder.released('c'), holder.loaded('d')])
    expect(sent).toHaveLength(1)
    const [name, channel, text] = sent[0] as [string, string, string]
    expect([name, channel]).toEqual(['PUBLISH', 'c:__lock'])
    expect(JSON.parse(text)).toEqual({ o: 'me', e: 'l', k: 'a', l: ['b', 'd'], r: ['c'] })
    // A lone notice is the single-key message it always was.
    await holder.released('e')
    expect(JSON.parse(sent[1]?.[2] as string)).toEqual({ o: 'me', e: 'r', k: 'e' })
  })

  it("wakes the waiters of every key a message names, and skips its own instance's messages", async () => {
    const { view, hub, deliver } = fakes()
    const waiter = notices(view, hub, 'me')
    const watches = await Promise.all(['a', 'b', 'c', 'd'].map((key) => waiter.watch(key)))
    // Past this, only a notice (or a 60 s poll) ends a wait.
    const waits = watches.map((watch) => watch.next(60_000))
    deliver({ o: 'me', e: 'l', k: 'a', l: ['b'], r: ['c'] })
    expect(await Promise.all(waits.map(isSettled))).toEqual([false, false, false, false])
    deliver({ o: 'other', e: 'l', k: 'a', l: ['b'], r: ['c'] })
    expect(await Promise.all(waits.map(isSettled))).toEqual([true, true, true, false])
    // Hostile messages are ignored.
    deliver({ o: 'other', e: 'l', k: 'x', l: 'd', r: [1, null] })
    deliver({ o: 'other', e: 'l', l: ['d'] })
    expect(await isSettled(waits[3] as Promise<void>)).toBe(false)
    deliver({ o: 'other', e: 'r', k: 'x', r: ['d'] })
    expect(await isSettled(waits[3] as Promise<void>)).toBe(true)
    for (const watch of watches) watch.stop()
  })
})
