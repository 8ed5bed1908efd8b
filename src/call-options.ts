import { describe } from './errors.js'
import { parseExpireTime } from './expire/option-values.js'
import type { SetOptions } from './flipcache-types.js'

/** The TTL a `set` / `setMany` call writes with: its `expireTime`, else the cache's (`cacheTtlMs`). */
export function ttlOfSetOptions(options: SetOptions | undefined, cacheTtlMs: number | null): number | null {
  if (options === undefined) return cacheTtlMs
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected set options to be an object, got ${describe(options)}`)
  }
  for (const option of Object.keys(options)) {
    if (option !== 'expireTime')
      throw new TypeError(`Unknown set option \`${option}\`; known options: expireTime`)
  }
  return options.expireTime === undefined ? cacheTtlMs : parseExpireTime(options.expireTime)
}

/** wrap()'s key without a `key` option: the call's one argument. */
export function byOnlyArgument(...args: unknown[]): unknown {
  if (args.length !== 1) {
    throw new TypeError(
      `Expected a function wrapped without a \`key\` option to be called with exactly one argument, its key; got ${args.length} arguments: give wrap() a \`key\` function of them`,
    )
  }
  return args[0]
}
