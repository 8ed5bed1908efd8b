const second = 1_000
const minute = 60 * second
const hour = 60 * minute
const day = 24 * hour

/** Expiry presets in milliseconds, for `expireTime`, `localTtl` and `set(k, v, { expireTime })`. */
export const expire = Object.freeze({
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
  ONE_WEEK: 7 * day,
  TWO_WEEKS: 14 * day,
  /** 30 days. */
  ONE_MONTH: 30 * day,
  /** 365 days. */
  ONE_YEAR: 365 * day,
} as const)
export type ExpirePreset = (typeof expire)[keyof typeof expire]
