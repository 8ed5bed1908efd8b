import { describe } from './errors.js'
import type { Duration } from './expire/duration.js'
import { positiveDuration } from './expire/option-values.js'
import type { BreakerSettings } from './redis/circuit-breaker.js'

/**
 * The checks every flipcache class (FlipCache and the Redis structures of `src/structures/`) makes
 * of its name and of the options they share, each quoting the bad value in a `TypeError`.
 */

/** The `circuitBreaker` option, as every class takes it. */
export type CircuitBreakerOption = { failures?: number; cooldown?: number | Duration } | false

/** Validates a name: a non-empty string without whitespace. */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || /\s/.test(name) || !name.isWellFormed()) {
    throw new TypeError(
      `Expected the cache name to be a non-empty string without whitespace or lone surrogates, got ${describe(name)}`,
    )
  }
}

/** Throws for an options argument that is not an object, or that names an option not in `known`. */
export function checkKnownOptions(options: unknown, known: ReadonlySet<string>): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected options to be an object, got ${describe(options)}`)
  }
  for (const option of Object.keys(options)) {
    if (!known.has(option)) {
      throw new TypeError(`Unknown option \`${option}\`; known options: ${[...known].join(', ')}`)
    }
  }
}

/** A positive integer option of at most `largest`, or its default. */
export function sizeOption(name: string, value: unknown, fallback: number, largest: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > largest) {
    throw new TypeError(`Expected \`${name}\` to be an integer from 1 to ${largest}, got ${describe(value)}`)
  }
  return value as number
}

/** A boolean option, or its default. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`)
  }
  return value
}

/** What separates a namespace from its keys: `':'`, or redis_pubsub_dict's `'/'` (the `pubsubDict` option). */
export type KeySeparator = ':' | '/'

/**
 * What every Redis key of namespace `name` starts with: `name:`, or `{name}:` with `hashTag` (a name
 * with braces of its own would cut the tag short, so it is refused there); with a `version`,
 * `name:v<version>:` (`{name}:v<version>:`), so a version's keys stay in the name's slot. With the
 * separator `'/'` (`pubsubDict`, which refuses `hashTag`): `name/`, or `name:v<version>/`, which is
 * redis_pubsub_dict's `<prefix>/` for the prefix `namespaceOf(name, version)`.
 */
export function keyPrefixOf(
  name: string,
  hashTag: boolean,
  version?: string,
  separator: KeySeparator = ':',
): string {
  if (separator === '/') return `${namespaceOf(name, version)}/`
  const versionPart = version === undefined ? '' : `v${version}:`
  if (!hashTag) return `${name}:${versionPart}`
  if (/[{}]/.test(name)) {
    throw new TypeError(
      `Expected a cache name without \`{\` or \`}\` with \`hashTag: true\`, got ${describe(name)}`,
    )
  }
  return `{${name}}:${versionPart}`
}

/**
 * The namespace's own name, which its channels (`<namespace>:__sync`, `<namespace>:__lock`) derive
 * from: `name`, or `name:v<version>` (instances of other versions hold other keys, so they need not
 * hear each other).
 */
export function namespaceOf(name: string, version: string | undefined): string {
  return version === undefined ? name : `${name}:v${version}`
}

/**
 * The `version` option (or a version given to `clearVersions`): a non-negative safe integer, or a
 * non-empty string without whitespace, control characters, `:`, braces or glob characters
 * (`*?[]\`), which would blur where the version ends or what a SCAN pattern of it matches.
 */
export function versionOption(what: string, value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return String(value)
  } else if (
    typeof value === 'string' &&
    value.length > 0 &&
    value.isWellFormed() &&
    !/[\s\p{Cc}:{}*?[\]\\]/u.test(value)
  ) {
    return value
  }
  throw new TypeError(
    `Expected ${what} to be a non-negative integer or a non-empty string without whitespace, \`:\`, braces or glob characters (*?[]\\), got ${describe(value)}`,
  )
}

/** The `circuitBreaker` option: `undefined` when it is off. */
export function resolveBreaker(option: CircuitBreakerOption | undefined): BreakerSettings | undefined {
  if (option === false) return undefined
  if (option === undefined) return { failures: 5, cooldownMs: 1000 }
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(
      `Expected \`circuitBreaker\` to be false or { failures, cooldown }, got ${describe(option)}`,
    )
  }
  for (const field of Object.keys(option)) {
    if (field !== 'failures' && field !== 'cooldown') {
      throw new TypeError(`Unknown \`circuitBreaker\` field \`${field}\`; known fields: failures, cooldown`)
    }
  }
  const failures = option.failures === undefined ? 5 : option.failures
  if (!Number.isSafeInteger(failures) || failures < 1) {
    throw new TypeError(
      `Expected \`circuitBreaker.failures\` to be a positive integer, got ${describe(failures)}`,
    )
  }
  const cooldownMs =
    option.cooldown === undefined ? 1000 : positiveDuration('circuitBreaker.cooldown', option.cooldown)
  return { failures, cooldownMs }
}
