import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LoaderError } from '../../src/errors.js'
import { FailureBackoff, loaderStandsFor } from '../../src/loading/failure-backoff.js'

function loaderError(key: string, reason = 'source down'): LoaderError {
  return new LoaderError(key, { cause: new Error(reason) })
}

/** The loader of the tests that do not tell loaders apart. */
const loader = async (): Promise<string> => 'loaded'

/** The error `check(key, by)` throws, or `undefined` when it lets the call through. */
function checked(backoff: FailureBackoff, key: string, by: object = loader): unknown {
  try {
    backoff.check(key, by)
    return undefined
  } catch (error) {
    return error
  }
}

/** Milliseconds from now until `check(key, by)` stops throwing, found 1 ms at a time (up to `limit`). */
function waitOf(backoff: FailureBackoff, key: string, by: object = loader, limit = 20_000): number {
  const start = Date.now()
  while (checked(backoff, key, by) !== undefined) {
    if (Date.now() - start > limit) throw new Error(`still waiting after ${limit} ms`)
    vi.advanceTimersByTime(1)
  }
  return Date.now() - start
}

describe('FailureBackoff', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'] })
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'))
  })

  afterEach(() => {
    vi.useRealTimers()
  })

  it('check() lets a key through that never failed', () => {
    const backoff = new FailureBackoff()
    expect(checked(backoff, 'fresh')).toBeUndefined()
  })

  it('check() throws the last failure for 100 ms after the first failure', () => {
    const backoff = new FailureBackoff()
    const error = loaderError('k')
    backoff.failed('k', loader, error)
    expect(checked(backoff, 'k')).toBe(error)
    vi.advanceTimersByTime(99)
    expect(checked(backoff, 'k')).toBe(error)
    vi.advanceTimersByTime(1)
    expect(checked(backoff, 'k')).toBeUndefined()
  })

  it('failed() doubles the wait with each further failure, up to 10 s', () => {
    const backoff = new FailureBackoff()
    const waits: number[] = []
    for (let failure = 0; failure < 10; failure++) {
      backoff.failed('k', loader, loaderError('k'))
      waits.push(waitOf(backoff, 'k'))
    }
    expect(waits).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000])
  })

  it('failed() stays at the 10 s wait after very many failures', () => {
    const backoff = new FailureBackoff()
    for (let failure = 0; failure < 2000; failure++) backoff.failed('k', loader, loaderError('k'))
    expect(waitOf(backoff, 'k')).toBe(10_000)
  })

  it('check() throws the most recent failure of the key', () => {
    const backoff = new FailureBackoff()
    backoff.failed('k', loader, loaderError('k', 'first'))
    const second = loaderError('k', 'second')
    backoff.failed('k', loader, second)
    expect(checked(backoff, 'k')).toBe(second)
  })

  it('failed() keeps the waits of different keys apart', () => {
    const backoff = new FailureBackoff()
    const errorA = loaderError('a')
    backoff.failed('a', loader, errorA)
    backoff.failed('a', loader, errorA)
    backoff.failed('b', loader, loaderError('b'))
    expect(checked(backoff, 'c')).toBeUndefined()
    vi.advanceTimersByTime(100)
    expect(checked(backoff, 'b')).toBeUndefined()
    expect(checked(backoff, 'a')).toBe(errorA)
    vi.advanceTimersByTime(100)
    expect(checked(backoff, 'a')).toBeUndefined()
  })

  it('succeeded() forgets the key: no wait now, and the next failure waits 100 ms again', () => {
    const backoff = new FailureBackoff()
    for (let failure = 0; failure < 4; failure++) backoff.failed('k', loader, loaderError('k'))
    backoff.succeeded('k')
    expect(checked(backoff, 'k')).toBeUndefined()
    backoff.failed('k', loader, loaderError('k'))
    expect(waitOf(backoff, 'k')).toBe(100)
  })

  it('succeeded() on a key that never failed changes nothing for the others', () => {
    const backoff = new FailureBackoff()
    const error = loaderError('k')
    backoff.failed('k', loader, error)
    backoff.succeeded('other')
    expect(checked(backoff, 'k')).toBe(error)
  })

  it('failed() remembers up to 10,000 keys at once', () => {
    const backoff = new FailureBackoff()
    for (let index = 0; index < 10_000; index++) backoff.failed(`k${index}`, loader, loaderError(`k${index}`))
    expect(checked(backoff, 'k0')).toBeInstanceOf(LoaderError)
    expect(checked(backoff, 'k9999')).toBeInstanceOf(LoaderError)
  })

  it('failed() starts the memory over past 10,000 keys, keeping the newest failure', () => {
    const backoff = new FailureBackoff()
    for (let index = 0; index < 10_000; index++) backoff.failed(`k${index}`, loader, loaderError(`k${index}`))
    const newest = loaderError('k10000')
    backoff.failed('k10000', loader, newest)
    expect(checked(backoff, 'k0')).toBeUndefined()
    expect(checked(backoff, 'k9999')).toBeUndefined()
    expect(checked(backoff, 'k10000')).toBe(newest)
  })
  it("check() lets another loader through within the wait: it is not given the failed loader's error", () => {
    const backoff = new FailureBackoff()
    const primary = async (): Promise<string> => 'primary'
    const fallback = async (): Promise<string> => 'fallback'
    const error = loaderError('k')
    backoff.failed('k', primary, error)
    expect(checked(backoff, 'k', fallback)).toBeUndefined()
    expect(checked(backoff, 'k', primary)).toBe(error)
  })

  it("failed() by another loader starts that loader's own wait at 100 ms, and ends the first one's", () => {
    const backoff = new FailureBackoff()
    const primary = async (): Promise<string> => 'primary'
    const fallback = async (): Promise<string> => 'fallback'
    for (let failure = 0; failure < 4; failure++) backoff.failed('k', primary, loaderError('k'))
    const fallbackError = loaderError('k', 'fallback down')
    backoff.failed('k', fallback, fallbackError)
    expect(checked(backoff, 'k', fallback)).toBe(fallbackError)
    expect(checked(backoff, 'k', primary)).toBeUndefined()
    expect(waitOf(backoff, 'k', fallback)).toBe(100)
  })

  it('closures marked with loaderStandsFor() back off as the function they stand for', () => {
    const backoff = new FailureBackoff()
    const fn = async (id: number): Promise<string> => `user ${id}`
    const error = loaderError('k')
    backoff.failed(
      'k',
      loaderStandsFor(() => fn(1), fn),
      error,
    )
    expect(
      checked(
        backoff,
        'k',
        loaderStandsFor(() => fn(1), fn),
      ),
    ).toBe(error)
    expect(checked(backoff, 'k', fn)).toBe(error)
    // An unmarked closure is a loader of its own.
    expect(checked(backoff, 'k', () => fn(1))).toBeUndefined()
  })
})
