import { afterEach, describe, expect, it, vi } from 'vitest'
import { LATE, RedisBudget } from '../../src/loading/redis-budget.js'
import { gate } from '../support/fake-clock.js'

describe('RedisBudget', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('spends the time of works waited for one after another', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
    const budget = new RedisBudget(1_000)
    const first = gate<string>()
    const spending = budget.spend(first.opened)
    vi.advanceTimersByTime(600)
    first.open('one')
    expect(await spending).toBe('one')
    // 400 ms left: a work that takes longer is LATE at 400 ms.
    const second = budget.spend(new Promise<string>(() => {}))
    vi.advanceTimersByTime(400)
    expect(await second).toBe(LATE)
    expect(await budget.spend(Promise.resolve('three'))).toBe(LATE)
  })

  it('spends the time of works waited for at the same time once (a batch of keys), not once each', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
    const budget = new RedisBudget(1_000)
    const reply = gate<string>()
    const spends = Array.from({ length: 100 }, () => budget.spend(reply.opened))
    vi.advanceTimersByTime(300)
    reply.open('taken')
    expect(new Set(await Promise.all(spends))).toEqual(new Set(['taken']))
    // 700 ms left, not 1000 - 100 × 300.
    const next = gate<string>()
    const later = budget.spend(next.opened)
    vi.advanceTimersByTime(699)
    next.open('read')
    expect(await later).toBe('read')
    const last = budget.spend(new Promise<string>(() => {}))
    vi.advanceTimersByTime(1)
    expect(await last).toBe(LATE)
  })

  it('gives a work that joins others on their way what is left of the shared time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] })
    const budget = new RedisBudget(1_000)
    const slow = budget.spend(new Promise<string>(() => {}))
    vi.advanceTimersByTime(800)
    const joining = budget.spend(new Promise<string>(() => {}))
    vi.advanceTimersByTime(200)
    expect(await slow).toBe(LATE)
    expect(await joining).toBe(LATE)
    expect(await budget.spend(Promise.resolve('x'))).toBe(LATE)
  })

  it('an unbounded budget never answers LATE', async () => {
    expect(await RedisBudget.unbounded().spend(Promise.resolve(1))).toBe(1)
  })
})
