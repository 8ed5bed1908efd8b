import { describe } from '../errors.js'
import { maxNestingDepth } from './nesting.js'

/**
 * JSON with object keys sorted at every depth, so that equal keys give equal strings whatever the
 * order their fields were written in. Refuses what JSON cannot carry back unchanged: `undefined`,
 * functions, symbols, bigints, non-finite numbers, class instances (Date, Map...), cycles, and
 * nesting deeper than `maxNestingDepth` (which the recursion here could not survive for long).
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set())
}

function write(value: unknown, path: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value)
    case 'number':
      if (Number.isFinite(value)) return JSON.stringify(value)
      break
    case 'object': {
      if (value === null) return 'null'
      if (path.has(value)) throw new TypeError('Expected a JSON key without cycles')
      if (path.size >= maxNestingDepth) {
        throw new TypeError(`Expected a JSON key nested at most ${maxNestingDepth} deep`)
      }
      path.add(value)
      try {
        if (Array.isArray(value)) return `[${value.map((item) => write(item, path)).join(',')}]`
        const proto = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) break
        const record = value as Record<string, unknown>
        const fields = Object.keys(record)
          .filter((field) => record[field] !== undefined)
          .sort()
          .map((field) => `${JSON.stringify(field)}:${write(record[field], path)}`)
        return `{${fields.join(',')}}`
      } finally {
        path.delete(value)
      }
    }
  }
  throw new TypeError(
    `Expected a JSON key made of strings, finite numbers, booleans, null, arrays and plain objects, got ${describe(value)}`,
  )
}
