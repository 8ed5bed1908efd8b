import superjson from 'superjson'

/**
 * How deep a value may nest to take the fast path; deeper ones go through superjson, which refuses
 * what nests past `maxNestingDepth`.
 */
const fastDepth = 64

/** superjson's registries, as its default instance keeps them (not part of its typed API). */
interface Registries {
  customTransformerRegistry?: { transfomers?: Record<string, unknown> }
  classRegistry?: { kv?: { keyToValue?: Map<unknown, unknown> } }
}

/** The instance whose registries `superjson.registerCustom` and `registerClass` fill (the one the codec uses). */
const registries = (superjson as unknown as { defaultInstance?: Registries }).defaultInstance ?? {}

/**
 * Whether superjson's default instance has no custom transformer and no registered class: only then
 * does it leave plain data alone. A custom rule may claim any value (even a string), so with one
 * registered, or with registries this code does not recognise (another superjson release), every
 * value goes through superjson.
 */
function nothingRegistered(): boolean {
  const customs = registries.customTransformerRegistry?.transfomers
  const classes = registries.classRegistry?.kv?.keyToValue
  if (customs === undefined || classes === undefined) return false
  if (classes.size > 0) return false
  for (const _ in customs) return false
  return true
}

/** Objects met on the walk: one shared set, cleared after each walk (a walk within a walk, through a getter, gets its own). */
const shared = new Set<object>()
let sharedInUse = false

/**
 * Whether `superjson.serialize(value)` would return `{ json: value }` with no metadata, so that
 * `JSON.stringify(value)` is exactly what superjson's path writes: strings, booleans, null, finite
 * numbers other than -0, and arrays and plain objects (prototype `Object.prototype` or `null`) of
 * those, each object met once (superjson records repeated and circular references), no key that
 * superjson refuses (`__proto__`, `constructor`, `prototype`), no hole or `undefined`, at most
 * `fastDepth` deep. Anything else (Dates, Maps, class instances, functions...) answers false, and
 * takes superjson's own path. Getters are read as superjson reads them; one that answers
 * differently on each read is not supported by this check.
 */
export function isPlainJson(value: unknown): boolean {
  if (!nothingRegistered()) return false
  if (typeof value !== 'object' || value === null) return plainLeaf(value)
  if (sharedInUse) return walk(value, 1, new Set())
  sharedInUse = true
  try {
    return walk(value, 1, shared)
  } finally {
    shared.clear()
    sharedInUse = false
  }
}

function plainLeaf(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
    default:
      return value === null
  }
}

function walk(value: object, depth: number, seen: Set<object>): boolean {
  if (depth > fastDepth || seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index]
      if (typeof item === 'object' && item !== null) {
        if (!walk(item, depth + 1, seen)) return false
      } else if (!plainLeaf(item)) return false
    }
    return true
  }
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return false
  const record = value as Record<string, unknown>
  for (const key in record) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return false
    // for...in also lists inherited enumerable keys; JSON.stringify and superjson read own ones only.
    if (!Object.hasOwn(record, key)) return false
    const item = record[key]
    if (typeof item === 'object' && item !== null) {
      if (!walk(item, depth + 1, seen)) return false
    } else if (!plainLeaf(item)) return false
  }
  return true
}
