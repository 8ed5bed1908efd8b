import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Deadline, DeadlineQueue } from '../../src/redis/deadlines.js'

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  })
  vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
})

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('DeadlineQueue', () => {
  it('add() runs onExpire once the deadline has passed, not before', () => {
    const queue = new DeadlineQueue(100)
    const onExpire = vi.fn()
    queue.add(onExpire)
    vi.advanceTimersByTime(99)
    expect(onExpire).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onExpire).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(onExpire).toHaveBeenCalledTimes(1)
  })

  it('add() arms one timer for many deadlines added while it is armed', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    const queue = new DeadlineQueue(100)
    for (let index = 0; index < 50; index++) {
      queue.add(() => {})
      vi.advanceTimersByTime(1)
    }
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(1)
  })

  it('add() unrefs its timer, so that it does not keep the process alive', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout')
    const queue = new DeadlineQueue(100)
    queue.add(() => {})
    const timer = setTimeoutSpy.mock.results[0]?.value as NodeJS.Timeout
    expect(timer.hasRef()).toBe(false)
  })

  it('settle() before expiry returns true and keeps onExpire from running', () => {
    const queue = new DeadlineQueue(100)
    const onExpire = vi.fn()
    const deadline = queue.add(onExpire)
    vi.advanceTimersByTime(50)
    expect(deadline.settle()).toBe(true)
    vi.advanceTimersByTime(1000)
    expect(onExpire).not.toHaveBeenCalled()
  })

  it('settle() after expiry returns false', () => {
    const queue = new DeadlineQueue(100)
    const onExpire = vi.fn()
    const deadline = queue.add(onExpire)
    vi.advanceTimersByTime(100)
    expect(onExpire).toHaveBeenCalledTimes(1)
    expect(deadline.settle()).toBe(false)
  })

  it('settle() a second time returns false', () => {
    const queue = new DeadlineQueue(100)
    const deadline = queue.add(() => {})
    expect(deadline.settle()).toBe(true)
    expect(deadline.settle()).toBe(false)
  })

  it('add() expires the deadlines in the order they were added, each at its own time', () => {
    const queue = new DeadlineQueue(100)
    const expired: Array<[string, number]> = []
    const start = Date.now()
    for (const name of ['a', 'b', 'c']) {
      queue.add(() => expired.push([name, Date.now() - start]))
      vi.advanceTimersByTime(30)
    }
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual([
      ['a', 100],
      ['b', 130],
      ['c', 160],
    ])
  })

  it('add() expires deadlines of the same instant together, in order, on one sweep', () => {
    const queue = new DeadlineQueue(100)
    const expired: string[] = []
    for (const name of ['a', 'b', 'c']) queue.add(() => expired.push(name))
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['a', 'b', 'c'])
  })

  it('settle() of the oldest deadline leaves the younger ones to expire at their times', () => {
    const queue = new DeadlineQueue(100)
    const expired: Array<[string, number]> = []
    const start = Date.now()
    const first = queue.add(() => expired.push(['a', Date.now() - start]))
    vi.advanceTimersByTime(40)
    queue.add(() => expired.push(['b', Date.now() - start]))
    vi.advanceTimersByTime(20)
    const third = queue.add(() => expired.push(['c', Date.now() - start]))
    expect(first.settle()).toBe(true)
    expect(third.settle()).toBe(true)
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual([['b', 140]])
  })

  it('add() after every deadline settled still expires the new one at its own time', () => {
    const queue = new DeadlineQueue(100)
    const start = Date.now()
    queue.add(() => {}).settle()
    vi.advanceTimersByTime(50)
    const expiredAt: number[] = []
    queue.add(() => expiredAt.push(Date.now() - start))
    vi.advanceTimersByTime(1000)
    expect(expiredAt).toEqual([150])
  })

  it('add() re-arms the timer for the next pending deadline after a sweep, and none once all are done', () => {
    const queue = new DeadlineQueue(100)
    const onExpire = vi.fn()
    queue.add(onExpire)
    vi.advanceTimersByTime(60)
    queue.add(onExpire)
    vi.advanceTimersByTime(40)
    expect(onExpire).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(60)
    expect(onExpire).toHaveBeenCalledTimes(2)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('settle() keeps the queue working through more than 1024 deadlines settled in order', () => {
    const queue = new DeadlineQueue(100)
    const deadlines: Deadline[] = []
    const expired: number[] = []
    for (let index = 0; index < 3000; index++) deadlines.push(queue.add(() => expired.push(index)))
    // Settle all but two, in order: the queue drops the 1500 settled ones at its front.
    const kept = new Set([1500, 2999])
    deadlines.forEach((deadline, index) => {
      if (!kept.has(index)) expect(deadline.settle()).toBe(true)
    })
    vi.advanceTimersByTime(100)
    expect(expired).toEqual([1500, 2999])
  })

  it('settle() of another deadline from inside an onExpire leaves the next pending deadline to expire', () => {
    const queue = new DeadlineQueue(100)
    const expired: string[] = []
    let second: Deadline | undefined
    queue.add(() => {
      expired.push('a')
      second?.settle()
    })
    second = queue.add(() => expired.push('b'))
    vi.advanceTimersByTime(10)
    queue.add(() => expired.push('c'))
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual(['a', 'c'])
  })

  it('add() queues deadlines added by an onExpire, and expires them at their time', () => {
    const queue = new DeadlineQueue(100)
    const start = Date.now()
    const expiredAt: number[] = []
    queue.add(() => {
      queue.add(() => expiredAt.push(Date.now() - start))
    })
    vi.advanceTimersByTime(1000)
    expect(expiredAt).toEqual([200])
  })
})
