import { describe, expect, expectTypeOf, it } from 'vitest'
import { type Duration, type ExpirePreset, expire, parseDuration } from '../../src/index.js'
import { expectTypeError } from './expect-type-error.js'

const second = 1_000
const minute = 60 * second
const hour = 60 * minute
const day = 24 * hour
const week = 7 * day

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['500ms', 500],
    ['10s', 10 * second],
    ['5m', 5 * minute],
    ['3h', 3 * hour],
    ['3d', 3 * day],
    ['2w', 2 * week],
  ])('parseDuration() reads %s as %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms)
  })

  it('parseDuration() reads a zero amount of every unit as 0', () => {
    for (const input of ['0ms', '0s', '0m', '0h', '0d', '0w']) expect(parseDuration(input)).toBe(0)
  })

  it("parseDuration() reads 'ms' as milliseconds, not as minutes followed by a stray 's'", () => {
    expect(parseDuration('5ms')).toBe(5)
    expect(parseDuration('5m')).toBe(5 * minute)
    expect(parseDuration('5m5s')).toBe(5 * minute + 5 * second)
  })

  it("parseDuration() reads compound durations such as '1h30m'", () => {
    expect(parseDuration('1h30m')).toBe(90 * minute)
    expect(parseDuration('1d12h')).toBe(36 * hour)
    expect(parseDuration('1m30s500ms')).toBe(90_500)
    expect(parseDuration('1w2d3h4m5s6ms')).toBe(week + 2 * day + 3 * hour + 4 * minute + 5 * second + 6)
  })

  it('parseDuration() adds up the parts of a compound duration whatever their order', () => {
    expect(parseDuration('30m1h')).toBe(90 * minute)
    expect(parseDuration('1m1m')).toBe(2 * minute)
  })

  it("parseDuration() reads decimal amounts such as '1.5s'", () => {
    expect(parseDuration('1.5s')).toBe(1_500)
    expect(parseDuration('0.5m')).toBe(30 * second)
    expect(parseDuration('1.25h')).toBe(75 * minute)
    expect(parseDuration('0.1s')).toBe(100)
    expect(parseDuration('1.5h30m')).toBe(2 * hour)
  })

  it('parseDuration() rounds fractional milliseconds to the nearest whole millisecond', () => {
    expect(parseDuration('1.4ms')).toBe(1)
    expect(parseDuration('1.5ms')).toBe(2)
    expect(parseDuration('0.4ms')).toBe(0)
    expect(parseDuration('0.0001s')).toBe(0)
    expect(Number.isInteger(parseDuration('0.3333s'))).toBe(true)
  })

  it('parseDuration() ignores spaces around and between the parts', () => {
    expect(parseDuration(' 10s ')).toBe(10 * second)
    expect(parseDuration('1h 30m')).toBe(90 * minute)
    expect(parseDuration('1 h 30 m')).toBe(90 * minute)
    expect(parseDuration('1.5 s')).toBe(1_500)
  })

  it('parseDuration() takes a non-negative integer as milliseconds, unchanged', () => {
    expect(parseDuration(0)).toBe(0)
    expect(parseDuration(1)).toBe(1)
    expect(parseDuration(1_500)).toBe(1_500)
    expect(parseDuration(expire.ONE_DAY)).toBe(day)
    expect(parseDuration(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER)
  })

  it.each<[number, string]>([
    [-1, '`-1` (number)'],
    [-1_000, '`-1000` (number)'],
    [1.5, '`1.5` (number)'],
    [Number.NaN, '`NaN` (number)'],
    [Number.POSITIVE_INFINITY, '`Infinity` (number)'],
    [Number.NEGATIVE_INFINITY, '`-Infinity` (number)'],
    [2 ** 53, '`9007199254740992` (number)'],
  ])('parseDuration() refuses the number %s with a TypeError quoting it', (input, quoted) => {
    expectTypeError(() => parseDuration(input), 'whole milliseconds', quoted)
  })

  it.each<[string, string]>([
    ['', "`''` (string)"],
    ['   ', "`'   '` (string)"],
    ['5', "`'5'` (string)"],
    ['5x', "`'5x'` (string)"],
    ['5M', "`'5M'` (string)"],
    ['5S', "`'5S'` (string)"],
    ['5 parsecs', "`'5 parsecs'` (string)"],
    ['ms', "`'ms'` (string)"],
    ['-5s', "`'-5s'` (string)"],
    ['+5s', "`'+5s'` (string)"],
    ['.5s', "`'.5s'` (string)"],
    ['5.s', "`'5.s'` (string)"],
    ['1e3ms', "`'1e3ms'` (string)"],
    ['1h30', "`'1h30'` (string)"],
    ['1h,30m', "`'1h,30m'` (string)"],
    ['10 seconds', "`'10 seconds'` (string)"],
    ['Infinitys', "`'Infinitys'` (string)"],
  ])('parseDuration() refuses the string %j with a TypeError quoting it', (input, quoted) => {
    expectTypeError(() => parseDuration(input), quoted)
  })

  it('parseDuration() names the accepted forms when it refuses a string', () => {
    expectTypeError(() => parseDuration('5x'), "'500ms'", "'1h30m'")
  })

  it.each<[string, unknown, string]>([
    ['null', null, '`null` (null)'],
    ['undefined', undefined, '`undefined` (undefined)'],
    ['an object', { ms: 5 }, '`[object Object]` (object)'],
    ['an array', ['5s'], '(array)'],
    ['a boolean', true, '`true` (boolean)'],
    ['a bigint', 10n, '`10n` (bigint)'],
    ['a Date', new Date(0), '(object)'],
  ])('parseDuration() refuses %s with a TypeError quoting it', (_label, input, quoted) => {
    expectTypeError(() => parseDuration(input as number), 'Expected a duration', quoted)
  })

  it('parseDuration() refuses a duration too long to be a safe integer of milliseconds', () => {
    expectTypeError(() => parseDuration('99999999999999w'), "`'99999999999999w'` (string)", 'too long')
  })

  it('parseDuration() accepts the longest duration that is still a safe integer', () => {
    expect(parseDuration(`${Number.MAX_SAFE_INTEGER}ms`)).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('parseDuration() accepts strings of the Duration type', () => {
    const typed: Duration = '1h30m'
    expect(parseDuration(typed)).toBe(90 * minute)
    expectTypeOf(parseDuration).parameter(0).toEqualTypeOf<number | string>()
    expectTypeOf(parseDuration).returns.toEqualTypeOf<number>()
  })
})

describe('expire', () => {
  const presets: Record<keyof typeof expire, number> = {
    ONE_SECOND: second,
    FIVE_SECONDS: 5 * second,
    TEN_SECONDS: 10 * second,
    THIRTY_SECONDS: 30 * second,
    ONE_MINUTE: minute,
    FIVE_MINUTES: 5 * minute,
    TEN_MINUTES: 10 * minute,
    FIFTEEN_MINUTES: 15 * minute,
    THIRTY_MINUTES: 30 * minute,
    ONE_HOUR: hour,
    TWO_HOURS: 2 * hour,
    SIX_HOURS: 6 * hour,
    TWELVE_HOURS: 12 * hour,
    ONE_DAY: day,
    TWO_DAYS: 2 * day,
    THREE_DAYS: 3 * day,
    ONE_WEEK: week,
    TWO_WEEKS: 2 * week,
    ONE_MONTH: 30 * day,
    ONE_YEAR: 365 * day,
  }

  it.each(Object.entries(presets))('expire.%s is %i ms', (name, ms) => {
    expect(expire[name as keyof typeof expire]).toBe(ms)
  })

  it('expire has exactly the documented presets, no more', () => {
    expect(Object.keys(expire).sort()).toEqual(Object.keys(presets).sort())
  })

  it('expire.ONE_MONTH is 30 days and expire.ONE_YEAR is 365 days', () => {
    expect(expire.ONE_MONTH).toBe(2_592_000_000)
    expect(expire.ONE_YEAR).toBe(31_536_000_000)
  })

  it('expire presets agree with the matching parseDuration() strings', () => {
    expect(parseDuration('1s')).toBe(expire.ONE_SECOND)
    expect(parseDuration('15m')).toBe(expire.FIFTEEN_MINUTES)
    expect(parseDuration('12h')).toBe(expire.TWELVE_HOURS)
    expect(parseDuration('3d')).toBe(expire.THREE_DAYS)
    expect(parseDuration('2w')).toBe(expire.TWO_WEEKS)
    expect(parseDuration('30d')).toBe(expire.ONE_MONTH)
    expect(parseDuration('365d')).toBe(expire.ONE_YEAR)
  })

  it('expire presets are all accepted by parseDuration() as they are', () => {
    for (const ms of Object.values(expire)) expect(parseDuration(ms)).toBe(ms)
  })

  it('expire is read-only by type, and expire.ONE_SECOND has the literal type 1000', () => {
    expectTypeOf(expire.ONE_SECOND).toEqualTypeOf<1000>()
    expectTypeOf(expire).toEqualTypeOf<Readonly<typeof expire>>()
    expectTypeOf<ExpirePreset>().toExtend<number>()
    const mutate = (): void => {
      // @ts-expect-error: the presets are `as const`, so assigning to one does not type-check
      expire.ONE_SECOND = 1
    }
    expect(mutate).toBeTypeOf('function')
    expect(expire.ONE_SECOND).toBe(1000)
  })
})
