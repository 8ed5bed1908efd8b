import diagnostics from 'node:diagnostics_channel'
import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type ErrorLogFields, ErrorReporter, type FlipCacheLogger } from '../../src/error-reporter.js'
import { DecodeError, FlipCacheError, RedisTimeoutError, RedisUnavailableError } from '../../src/errors.js'
import { FlipCache } from '../../src/index.js'

/** Lets the microtask that emits 'error' run. */
const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve))

function reporterWith(options: { logger?: FlipCacheLogger; listen?: boolean } = {}) {
  const emitter = new EventEmitter()
  const heard: FlipCacheError[] = []
  if (options.listen !== false) emitter.on('error', (error: FlipCacheError) => heard.push(error))
  let counted = 0
  const reporter = new ErrorReporter({
    emitter,
    name: 'users',
    counted: () => {
      counted++
    },
    logger: options.logger,
    server: () => '127.0.0.1:6390',
  })
  return { reporter, heard, counted: () => counted }
}

const down = () => new RedisUnavailableError('Redis is unreachable')

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('ErrorReporter: context', () => {
  it('names the operation, the key and the server in the fields and the message, leaving the original alone', async () => {
    const { reporter, heard } = reporterWith()
    const original = down()
    reporter.report(original, { operation: 'getOrSet', key: 'users:1' })
    await settle()
    const [reported] = heard
    expect(reported).toBeInstanceOf(RedisUnavailableError)
    expect(reported).not.toBe(original)
    expect(reported).toMatchObject({
      code: 'E_REDIS',
      operation: 'getOrSet',
      key: 'users:1',
      server: '127.0.0.1:6390',
    })
    expect(reported?.message).toBe('E_REDIS getOrSet `users:1` on 127.0.0.1:6390: Redis is unreachable')
    expect(reported?.stack?.split('\n')[0]).toBe(`RedisUnavailableError: ${reported?.message}`)
    expect(original.message).toBe('Redis is unreachable')
    expect(original.operation).toBeUndefined()
    expect(original.key).toBeUndefined()
  })

  it('keeps what the error names itself (a DecodeError key, a timeout node) and gives a key count for many keys', async () => {
    const { reporter, heard } = reporterWith()
    reporter.report(new DecodeError('users:7', 'the value'), { operation: 'read' })
    reporter.report(new RedisTimeoutError(200, 'MGET', '10.0.0.2:7001'), {
      operation: 'getOrSetMany',
      keyCount: 3,
    })
    await settle()
    expect(heard[0]).toMatchObject({ key: 'users:7', operation: 'read', server: '127.0.0.1:6390' })
    expect(heard[1]).toMatchObject({ keyCount: 3, server: '10.0.0.2:7001' })
    // The server the message names already is not named twice.
    expect(heard[1]?.message).toBe(
      'E_TIMEOUT getOrSetMany (3 keys): Redis did not answer MGET on 10.0.0.2:7001 within 200 ms',
    )
  })
})

describe('ErrorReporter: coalescing', () => {
  it('reports the first failure of a code at once, the rest of its 1 s window as one report with a count', async () => {
    const { reporter, heard, counted } = reporterWith()
    for (let index = 0; index < 40; index++)
      reporter.report(down(), { operation: 'get', key: `users:${index}` })
    await settle()
    expect(heard).toHaveLength(1)
    expect(heard[0]?.repeats).toBeUndefined()
    vi.advanceTimersByTime(999)
    await settle()
    expect(heard).toHaveLength(1)
    vi.advanceTimersByTime(1)
    await settle()
    expect(heard).toHaveLength(2)
    // The latest failure of the window, standing for the 39 held back (itself and 38 more).
    expect(heard[1]).toMatchObject({ key: 'users:39', repeats: 38 })
    expect(heard[1]?.message).toMatch(/\(and 38 more like it in the last 1 s\)$/)
    expect(counted()).toBe(40)
  })

  it('keeps one report a second through a long outage, and reports at once again after a quiet window', async () => {
    const { reporter, heard } = reporterWith()
    for (let ms = 0; ms < 5_000; ms += 50) {
      reporter.report(down(), { operation: 'get', key: 'users:1' })
      vi.advanceTimersByTime(50)
    }
    await settle()
    // The first at once, then one at the end of each of the five windows.
    expect(heard).toHaveLength(6)
    expect(heard.slice(1).map((error) => error.repeats)).toEqual([18, 19, 19, 19, 19])
    vi.advanceTimersByTime(1_000)
    await settle()
    // A quiet window ends the burst, with nothing to report.
    expect(heard).toHaveLength(6)
    vi.advanceTimersByTime(1_000)
    reporter.report(down(), { operation: 'get', key: 'users:2' })
    await settle()
    expect(heard).toHaveLength(7)
    expect(heard[6]).toMatchObject({ key: 'users:2' })
    expect(heard[6]?.repeats).toBeUndefined()
  })

  it('coalesces per code: another code is reported at once', async () => {
    const { reporter, heard } = reporterWith()
    reporter.report(down(), { operation: 'get' })
    reporter.report(down(), { operation: 'get' })
    reporter.report(new DecodeError('users:1', 'the value'), { operation: 'read' })
    await settle()
    expect(heard.map((error) => error.code)).toEqual(['E_REDIS', 'E_DECODE'])
  })

  it('tells E_DECODE apart by key (each bad key is news), up to 20 keys at a time, and coalesces one key read again', async () => {
    const { reporter, heard } = reporterWith()
    for (let index = 0; index < 25; index++)
      reporter.report(new DecodeError(`users:${index}`, 'the value'), { operation: 'read' })
    reporter.report(new DecodeError('users:0', 'the value'), { operation: 'read' })
    await settle()
    // 20 keys at once; the 5 past the bound share the code's burst (the first of them reported).
    expect(heard).toHaveLength(21)
    expect(heard.map((error) => error.key)).toEqual([
      ...Array.from({ length: 21 }, (_, index) => `users:${index}`),
    ])
    vi.advanceTimersByTime(1_000)
    await settle()
    expect(heard.slice(21).map((error) => [error.key, error.repeats])).toEqual([
      ['users:0', undefined],
      ['users:24', 3],
    ])
  })

  it('close() delivers what the windows hold and stops their timers', async () => {
    const { reporter, heard } = reporterWith()
    reporter.report(down(), { operation: 'get' })
    reporter.report(down(), { operation: 'set' })
    reporter.report(down(), { operation: 'set' })
    reporter.close()
    await settle()
    expect(heard).toHaveLength(2)
    expect(heard[1]).toMatchObject({ operation: 'set', repeats: 1 })
    expect(vi.getTimerCount()).toBe(0)
    // A failure that settles after close() is still reported, at once and with no timer left behind.
    reporter.report(down(), { operation: 'store' })
    await settle()
    expect(heard).toHaveLength(3)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('ErrorReporter: where reports go', () => {
  function recordingLogger() {
    const calls: { level: string; fields: ErrorLogFields; message: string }[] = []
    const logger: FlipCacheLogger = {
      error: (fields, message) => calls.push({ level: 'error', fields, message }),
      warn: (fields, message) => calls.push({ level: 'warn', fields, message }),
      debug: (fields, message) => calls.push({ level: 'debug', fields: fields as ErrorLogFields, message }),
    }
    return { logger, calls }
  }

  it('a logger gets (fields, message), error or warn by level, and debug when a burst ends; the event still fires', async () => {
    const { logger, calls } = recordingLogger()
    const { reporter, heard } = reporterWith({ logger })
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    reporter.report(down(), { operation: 'get', key: 'users:1' })
    reporter.report(new FlipCacheError('E_LOADER', 'The loader failed'), {
      operation: 'getOrSet',
      level: 'warn',
    })
    await settle()
    expect(calls.map((call) => call.level)).toEqual(['error', 'warn'])
    expect(calls[0]?.fields).toMatchObject({
      code: 'E_REDIS',
      cache: 'users',
      operation: 'get',
      key: 'users:1',
      server: '127.0.0.1:6390',
      repeats: 0,
    })
    expect(calls[0]?.fields.err).toBe(heard[0])
    expect(calls[0]?.message).toBe(
      'FlipCache `users`: E_REDIS get `users:1` on 127.0.0.1:6390: Redis is unreachable',
    )
    expect(heard).toHaveLength(2)
    vi.advanceTimersByTime(1_000)
    expect(calls.filter((call) => call.level === 'debug').map((call) => call.message)).toEqual([
      'FlipCache `users`: no E_REDIS failure for 1000 ms',
      'FlipCache `users`: no E_LOADER failure for 1000 ms',
    ])
    expect(warning).not.toHaveBeenCalled()
  })

  it('a logger that throws does not break the reporting code', async () => {
    const throwing: FlipCacheLogger = {
      error: () => {
        throw new Error('logger down')
      },
      warn: () => {},
    }
    const { reporter, heard } = reporterWith({ logger: throwing })
    expect(() => reporter.report(down(), { operation: 'get' })).not.toThrow()
    await settle()
    expect(heard).toHaveLength(1)
  })

  it('without a listener or a logger: process warnings, coalesced the same way, and again after a quiet window', async () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const { reporter } = reporterWith({ listen: false })
    for (let index = 0; index < 30; index++) reporter.report(down(), { operation: 'get', key: 'users:1' })
    await settle()
    expect(warning).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1_000)
    await settle()
    expect(warning).toHaveBeenCalledTimes(2)
    expect(String(warning.mock.calls[1]?.[0])).toMatch(/\(and 28 more like it in the last 1 s\)$/)
    expect(warning.mock.calls[1]?.[1]).toMatchObject({ type: 'FlipCacheWarning', code: 'E_REDIS' })
    // A second outage, after a quiet window, is not silent.
    vi.advanceTimersByTime(2_000)
    reporter.report(down(), { operation: 'get', key: 'users:2' })
    await settle()
    expect(warning).toHaveBeenCalledTimes(3)
    expect(String(warning.mock.calls[2]?.[0])).toBe(
      'FlipCache `users`: E_REDIS get `users:2` on 127.0.0.1:6390: Redis is unreachable',
    )
  })

  it('publishes each report on flipcache:error when it has subscribers', async () => {
    const published: unknown[] = []
    const subscriber = (message: unknown) => published.push(message)
    diagnostics.subscribe('flipcache:error', subscriber)
    try {
      const { reporter, heard } = reporterWith()
      reporter.report(down(), { operation: 'get', key: 'users:1' })
      await settle()
      expect(published).toEqual([{ cache: 'users', error: heard[0] }])
    } finally {
      diagnostics.unsubscribe('flipcache:error', subscriber)
    }
  })
})

describe('the logger option', () => {
  it.each([
    ['a string', 'console'],
    ['null', null],
    ['an object without warn', { error: () => {} }],
    ['an object whose error is no function', { error: 'no', warn: () => {} }],
  ])('refuses %s with a TypeError naming it', (_label, logger) => {
    expect(() => new FlipCache('t', { redis: 'redis://127.0.0.1:1', logger: logger as never })).toThrow(
      /Expected `logger` to be an object with `error` and `warn` methods/,
    )
  })

  it('refuses a debug that is not a function', () => {
    expect(
      () =>
        new FlipCache('t', {
          redis: 'redis://127.0.0.1:1',
          logger: { error: () => {}, warn: () => {}, debug: 5 } as never,
        }),
    ).toThrow(/Expected `logger.debug` to be a function when given, got `5` \(number\)/)
  })
})
