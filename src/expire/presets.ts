/**
 * Expiry presets in milliseconds, for `expireTime`, `localTtl` and `set(k, v, { expireTime })`.
 * Written as literals so that each preset has its exact literal type.
 */
export const expire = Object.freeze({
  ONE_SECOND: 1_000,
  FIVE_SECONDS: 5_000,
  TEN_SECONDS: 10_000,
  THIRTY_SECONDS: 30_000,
  ONE_MINUTE: 60_000,
  FIVE_MINUTES: 300_000,
  TEN_MINUTES: 600_000,
  FIFTEEN_MINUTES: 900_000,
  THIRTY_MINUTES: 1_800_000,
  ONE_HOUR: 3_600_000,
  TWO_HOURS: 7_200_000,
  SIX_HOURS: 21_600_000,
  TWELVE_HOURS: 43_200_000,
  ONE_DAY: 86_400_000,
  TWO_DAYS: 172_800_000,
  THREE_DAYS: 259_200_000,
  ONE_WEEK: 604_800_000,
  TWO_WEEKS: 1_209_600_000,
  /** 30 days. */
  ONE_MONTH: 2_592_000_000,
  /** 365 days. */
  ONE_YEAR: 31_536_000_000,
} as const)
export type ExpirePreset = (typeof expire)[keyof typeof expire]
