import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Confirmation, Heartbeat } from '../../src/sync/heartbeat.js'

/**
 * A heartbeat on fake timers whose published beats come back only when the test says; `now` is its
 * clock (the fake timers' by default; a test may skew it, as a blocked event loop does).
 */
function heartbeatOnFakes(now: () => number = () => Date.now()) {
  const published: string[] = []
  const heartbeat = new Heartbeat({
    subscribe: () => Promise.resolve(),
    publish: (channel) => {
      published.push(channel)
      return Promise.resolve()
    },
    beatChannelOf: (channel) => `${channel}:beat`,
    now,
  })
  return { heartbeat, published }
}

function confirmation(boundMs: number) {
  const events: string[] = []
  const confirm: Confirmation = {
    boundMs,
    unheard: () => events.push(`unheard@${Date.now()}`),
    heard: () => events.push(`heard@${Date.now()}`),
  }
  return { confirm, events }
}

describe('Heartbeat', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('publishes every half of the bound, and tells a listener nothing while its beats come back', async () => {
    const { heartbeat, published } = heartbeatOnFakes()
    const { confirm, events } = confirmation(2000)
    heartbeat.watch('c', confirm)
    for (let second = 0; second < 10; second++) {
      await vi.advanceTimersByTimeAsync(250)
      heartbeat.received('c:beat')
      await vi.advanceTimersByTimeAsync(750)
    }
    expect(events.filter((event) => event.startsWith('unheard'))).toEqual([])
    expect(events.filter((event) => event.startsWith('heard'))).toHaveLength(10)
    // One at once, then one a second: 11 in 10 s.
    expect(published).toHaveLength(11)
    expect(new Set(published)).toEqual(new Set(['c:beat']))
    heartbeat.stop()
  })

  it('tells a listener `unheard` within its bound once beats stop coming back, and `heard` at the next one', async () => {
    const { heartbeat } = heartbeatOnFakes()
    const { confirm, events } = confirmation(2000)
    heartbeat.watch('c', confirm)
    await vi.advanceTimersByTimeAsync(1000)
    heartbeat.received('c:beat')
    events.length = 0
    await vi.advanceTimersByTimeAsync(3000)
    // Heard at 1000 ms: unheard no later than 1000 + 2000 ms.
    expect(events).toHaveLength(1)
    const unheardAt = Number(events[0]?.split('@')[1])
    expect(events[0]).toMatch(/^unheard@/)
    expect(unheardAt).toBeGreaterThan(1000 + 1500)
    expect(unheardAt).toBeLessThanOrEqual(1000 + 2000)
    heartbeat.received('c:beat')
    expect(events).toEqual([`unheard@${unheardAt}`, 'heard@4000'])
    heartbeat.stop()
  })

  it('a dropped connection keeps the bound counting from the last beat heard', async () => {
    const { heartbeat } = heartbeatOnFakes()
    const { confirm, events } = confirmation(1000)
    heartbeat.watch('c', confirm)
    heartbeat.received('c:beat')
    events.length = 0
    heartbeat.dropped()
    expect(events).toEqual([])
    await vi.advanceTimersByTimeAsync(1000)
    expect(events).toEqual([expect.stringMatching(/^unheard@/)])
    heartbeat.stop()
  })

  it('only heartbeats are taken: a message on another channel goes on to its listeners', () => {
    const { heartbeat } = heartbeatOnFakes()
    heartbeat.watch('c', confirmation(2000).confirm)
    expect(heartbeat.received('c:beat')).toBe(true)
    expect(heartbeat.received('c')).toBe(false)
    heartbeat.stop()
  })

  it('follows the shortest bound of its listeners, and stops publishing when the last one leaves', async () => {
    const { heartbeat, published } = heartbeatOnFakes()
    const stopLong = heartbeat.watch('a', confirmation(4000).confirm)
    const stopShort = heartbeat.watch('b', confirmation(400).confirm)
    // The first beats, sent at once, go after their subscriptions (a microtask later).
    await vi.advanceTimersByTimeAsync(0)
    published.length = 0
    await vi.advanceTimersByTimeAsync(1000)
    // Every 200 ms, on both channels.
    expect(published.filter((channel) => channel === 'a:beat')).toHaveLength(5)
    stopShort()
    stopLong()
    published.length = 0
    await vi.advanceTimersByTimeAsync(5000)
    expect(published).toEqual([])
    heartbeat.stop()
  })

  it('a check that comes late (the event loop was blocked) sends a heartbeat and gives it half the bound, instead of declaring the channel unheard', async () => {
    let skewMs = 0
    const { heartbeat, published } = heartbeatOnFakes(() => Date.now() + skewMs)
    const { confirm, events } = confirmation(2000)
    heartbeat.watch('c', confirm)
    heartbeat.received('c:beat')
    events.length = 0
    await vi.advanceTimersByTimeAsync(250)
    // Five seconds pass without a timer running (a blocked loop), then the next check runs.
    skewMs = 5000
    published.length = 0
    await vi.advanceTimersByTimeAsync(250)
    expect(events).toEqual([])
    expect(published).toEqual(['c:beat'])
    // The heartbeat comes back: nothing was ever unheard.
    heartbeat.received('c:beat')
    await vi.advanceTimersByTimeAsync(500)
    expect(events.filter((event) => event.startsWith('unheard'))).toEqual([])
    // One that does not come back is unheard within half the bound.
    skewMs += 5000
    await vi.advanceTimersByTimeAsync(250)
    events.length = 0
    await vi.advanceTimersByTimeAsync(1000)
    expect(events.filter((event) => event.startsWith('unheard'))).toHaveLength(1)
    heartbeat.stop()
  })
})
