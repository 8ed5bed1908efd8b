import { inspect } from 'node:util'
import { CacheClosedError, describe, type FlipCacheError } from '../errors.js'
import type { KeyCodec } from '../types/key-type.js'
import type { RedisValue } from '../types/value-codec.js'
import { PendingDictWrites } from './pending-dict-writes.js'

/**
 * The property keys of a dict view: numbers for number keys (`keyType: 'int'` or `'float'`), the
 * keys themselves for string keys, strings (their encodings) for every other key type.
 */
export type DictKey<K> = [K] extends [number] ? number : [K] extends [string] ? K : string

/**
 * A cache seen as a dict (`cache.asDict()`), for code ported from Python flipcache:
 * `await view[k]` reads (as `get`), `view[k] = v` writes and `delete view[k]` deletes (visible to the
 * view at once, sent to Redis in the background: `await cache.dictSettled()` waits for them), and
 * `k in view` answers from this process alone (L1 and the view's pending changes). TypeScript gives
 * an index signature one type for reading and writing, hence `V | Promise<V | Miss>`: a read is
 * always a promise (its awaited type is `V | Miss`), and a promise written is refused at run time.
 * See README "Dict-style access".
 */
export type DictView<K, V, Miss = undefined> = { [key in DictKey<K>]: V | Promise<V | Miss> }

/** What the dict view needs of its cache (built by `FlipCache.asDict()`). */
export interface DictPort<K, V, Miss> {
  readonly name: string
  readonly keys: KeyCodec<K>
  /** Whether the cache has an L1 (`localMax > 0`): without one, `in` could only guess. */
  readonly localEnabled: boolean
  closed(): boolean
  /** Whether L1 holds a live copy of `encoded` (no recency change, never Redis). */
  held(encoded: string): boolean
  /** The value's encoding, as `set` makes it: throws a `TypeError` (or `E_ENCODE`, `E_TOO_LARGE`) for a misfit. */
  encode(encoded: string, value: V): RedisValue
  /** What a read of the encoded value returns (the copy L1 keeps of a write). */
  copy(encodedValue: RedisValue): V
  /** What a read hands out for a value held (a copy of its own with `cloneOnRead`). */
  served(encoded: string, value: V): V
  /** What a read of a missing key returns (`valueDefault`, or `undefined`). */
  miss(encoded: string): V | Miss
  read(key: K): Promise<V | Miss>
  /** `set` of an encoded value, with the cache's `expireTime`. */
  write(key: K, value: V, encoded: string, encodedValue: RedisValue): Promise<void>
  remove(key: K): Promise<boolean>
  report(error: FlipCacheError): void
}

/**
 * Names that are never cache keys of a view, whatever the key type: `then` (so that the view is no
 * thenable, and `await view` is the view), every `Object.prototype` name (`__proto__`,
 * `constructor`, `toString`, `valueOf`, `hasOwnProperty`...), `toJSON`, and `inspect`.
 */
const reservedNames: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'then',
  'toJSON',
  'inspect',
])

/** A cache's dict view (a Proxy), and its changes on their way (which `dictSettled()` waits for). */
export interface Dict<K, V, Miss> {
  readonly view: DictView<K, V, Miss>
  readonly pending: PendingDictWrites<V>
}

/** The dict view of the cache behind `port`. */
export function dictView<K, V, Miss>(port: DictPort<K, V, Miss>): Dict<K, V, Miss> {
  const pending = new PendingDictWrites<V>(port.name, port.report)
  const label = `dict view of FlipCache \`${port.name}\``

  /** `property` as a key of the cache, and its encoding; a `TypeError` naming it otherwise. */
  const keyOf = (property: string): [key: K, encoded: string] => {
    try {
      const key = port.keys.decode(property)
      return [key, port.keys.encode(key)]
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new TypeError(`The ${label} has no key ${describe(property)}: ${reason}`, { cause: error })
    }
  }

  /** The property as a key name; a `TypeError` for a symbol or a reserved name, `E_CLOSED` after close(). */
  const nameOf = (property: string | symbol, use: string): string => {
    if (typeof property === 'symbol') {
      throw new TypeError(`The ${label} cannot ${use} a symbol (${String(property)}): its keys are strings`)
    }
    if (reservedNames.has(property)) {
      throw new TypeError(
        `The ${label} cannot ${use} \`${property}\`: \`then\`, \`toJSON\`, \`inspect\` and Object.prototype names are never keys of a view (so that it is no thenable and never taken for a plain object); use the cache's methods, such as cache.get('${property}')`,
      )
    }
    if (port.closed()) throw new CacheClosedError(port.name)
    return property
  }

  const listing = 'list them with `for await (const [key, value] of cache.entries())`'
  const refuse = (what: string, hint = listing): never => {
    throw new TypeError(
      `The ${label} cannot ${what}: its keys and values live in Redis, and it has no properties of its own; ${hint}`,
    )
  }

  const target: object = Object.create(null)
  // util.inspect (console.log) shows a Proxy's target without calling its traps.
  Object.defineProperty(target, inspect.custom, {
    configurable: true,
    value: () => `FlipCacheDict { cache: '${port.name}', pending: ${pending.size} }`,
  })

  const handler: ProxyHandler<object> = {
    get(_target, property) {
      // Answered as an object without these: `await view` is the view, and iterating or spreading
      // it finds no iterator (the engine's TypeError); converting it to a primitive then reaches
      // `valueOf` / `toString`, which are refused below.
      if (typeof property === 'symbol' || property === 'then') return undefined
      if (property === 'toJSON') {
        refuse('be turned into JSON (JSON.stringify reads no promises)')
      }
      const [key, encoded] = keyOf(nameOf(property, 'read'))
      const change = pending.latest(encoded)
      if (change === undefined) return port.read(key)
      return Promise.resolve(change.deleted ? port.miss(encoded) : port.served(encoded, change.value))
    },
    set(_target, property, value: V) {
      const name = nameOf(property, 'write')
      if (isThenable(value)) {
        throw new TypeError(
          `The ${label} cannot write a promise (or thenable) at key \`${name}\`: await it first (a read, \`view[k]\`, is a promise)`,
        )
      }
      const [key, encoded] = keyOf(name)
      const encodedValue = port.encode(encoded, value)
      let copy: V
      try {
        copy = port.copy(encodedValue)
      } catch {
        // The cache reports a value that does not decode once written (E_DECODE); until then the
        // view answers with the value given.
        copy = value
      }
      pending.track(encoded, { deleted: false, value: copy }, port.write(key, value, encoded, encodedValue))
      return true
    },
    deleteProperty(_target, property) {
      const [key, encoded] = keyOf(nameOf(property, 'delete'))
      pending.track(encoded, { deleted: true }, port.remove(key))
      return true
    },
    has(_target, property) {
      // As an object without symbol-keyed properties: `Symbol.iterator in view` is false.
      if (typeof property === 'symbol') return false
      const name = nameOf(property, 'answer `in` for')
      if (!port.localEnabled) {
        throw new TypeError(
          `The ${label} answers \`in\` from L1 alone, and this cache has none (localMax 0): ask Redis with \`await cache.has(key)\``,
        )
      }
      const [, encoded] = keyOf(name)
      const change = pending.latest(encoded)
      if (change !== undefined) return !change.deleted
      return port.held(encoded)
    },
    ownKeys: () => refuse('list its keys (Object.keys, for…in, spreading)'),
    getOwnPropertyDescriptor(_target, property) {
      if (typeof property === 'symbol') return undefined
      return refuse(
        `describe \`${property}\` as an own property (Object.hasOwn, Object.getOwnPropertyDescriptor)`,
      )
    },
    defineProperty: (_target, property) =>
      refuse(`define \`${String(property)}\` (Object.defineProperty)`, 'write with `view[key] = value`'),
    setPrototypeOf: () =>
      refuse('change its prototype (Object.setPrototypeOf)', 'its prototype is null and stays so'),
    preventExtensions: () =>
      refuse('be frozen, sealed or made non-extensible', 'its keys change as the cache does'),
  }
  return { view: new Proxy(target, handler) as DictView<K, V, Miss>, pending }
}

function isThenable(value: unknown): boolean {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
