import type { FlipCacheLogger } from './error-reporter.js'
import { describe } from './errors.js'

/** The `logger` option, checked: an object with callable `error` and `warn` (and `debug`, if it has one). */
export function loggerOption(value: unknown): FlipCacheLogger | undefined {
  if (value === undefined) return undefined
  const candidate = value as Partial<Record<'error' | 'warn' | 'debug', unknown>> | null
  if (typeof value !== 'object' && typeof value !== 'function') throw loggerError(value)
  if (candidate === null || typeof candidate.error !== 'function' || typeof candidate.warn !== 'function')
    throw loggerError(value)
  if (candidate.debug !== undefined && typeof candidate.debug !== 'function') {
    throw new TypeError(
      `Expected \`logger.debug\` to be a function when given, got ${describe(candidate.debug)}`,
    )
  }
  const logger = value as FlipCacheLogger
  // Bound once: pino's and console's methods use `this`.
  return {
    error: logger.error.bind(logger),
    warn: logger.warn.bind(logger),
    debug: logger.debug?.bind(logger),
  }
}

function loggerError(value: unknown): TypeError {
  return new TypeError(
    `Expected \`logger\` to be an object with \`error\` and \`warn\` methods (console, a pino logger), got ${describe(value)}`,
  )
}
