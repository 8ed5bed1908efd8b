import { randomInt } from 'node:crypto'
import type { StructureStore } from './structure-keys.js'

/** The most structures a namespace registers; values of other shapes are written as plain maps. */
export const maxStructures = 256
/** The most fields a structure has; objects with more are written as plain maps. */
export const maxStructureFields = 64
/** The longest definition (the JSON array of a structure's field names) registered or read, in bytes. */
export const maxDefinitionLength = 2048
/** How long a writer trusts what it loaded before it loads the registry again (in the background, at a write). */
export const revalidateMs = 30_000
/** After a failed registration, how long no shape is registered (a Redis outage costs one attempt per second). */
export const retryAfterMs = 1_000

/** What the registry needs around it. */
export interface RegistryHooks {
  /** A failed registration or load no caller awaits. */
  report: (error: unknown) => void
  now: () => number
}

/** A definition as the registry keeps it: a JSON array of distinct field names, written by `JSON.stringify`. */
function parseDefinition(definition: string): readonly string[] | undefined {
  if (definition.length === 0 || Buffer.byteLength(definition) > maxDefinitionLength) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(definition)
  } catch {
    return undefined
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > maxStructureFields) return undefined
  if (!parsed.every((field) => typeof field === 'string')) return undefined
  if (new Set(parsed).size !== parsed.length || JSON.stringify(parsed) !== definition) return undefined
  return parsed as string[]
}

/** A registry's base as stored: a whole number from 0 to 65535, else `undefined` (corrupt). */
function baseOf(stored: unknown): number | undefined {
  const text = typeof stored === 'string' ? stored : String(stored)
  if (!/^\d{1,5}$/.test(text)) return undefined
  const base = Number(text)
  return base <= 0xffff ? base : undefined
}

/**
 * The structures (lists of field names) of one cache's namespace, shared through Redis by every
 * process that uses the cache, each known by a 16-bit id: definition `i` of a registry whose base
 * is `b` has id `(b + i) mod 65536`. The registry is append-only, so an id never changes meaning
 * while it lives; each registry draws its base at random when created, so that if it is lost
 * (deleted, evicted) and created anew, old ids are unknown to the new one rather than taken for
 * other structures (a process that knew the old registry draws a base apart from its ids; one that
 * did not, at random: a chance of about one in 65,536 per structure).
 *
 * Writers ask `idOf` synchronously: a known shape has an id; an unknown one has none yet (the value
 * is written as a plain map) and is registered in the background. So a written id is always in
 * Redis already. Readers that meet an unknown id `reload`, one load at a time.
 */
export class StructureRegistry {
  readonly #store: StructureStore
  readonly #hooks: RegistryHooks
  readonly #limit: number
  /** The base of the registry as last seen, `undefined` before it is seen or when there is none. */
  #base: number | undefined
  readonly #ids = new Map<string, number>()
  readonly #fields = new Map<number, readonly string[]>()
  readonly #registering = new Set<string>()
  #full = false
  /** When a write next loads the registry in the background (a load that starts, fails or not, puts it off). */
  #revalidateAt = Number.NEGATIVE_INFINITY
  #retryAt = Number.NEGATIVE_INFINITY
  #loading: Promise<void> | undefined
  #next: Promise<void> | undefined

  constructor(store: StructureStore, hooks: RegistryHooks, limit = maxStructures) {
    this.#store = store
    this.#hooks = hooks
    this.#limit = limit
  }

  /** The id of the structure `fields`, or `undefined` when it has none yet (then it is registered in the background). */
  idOf(fields: readonly string[]): number | undefined {
    if (fields.length === 0 || fields.length > maxStructureFields) return undefined
    const definition = JSON.stringify(fields)
    const now = this.#hooks.now()
    // A writer checks now and then that the registry it writes ids of still lives.
    if (now >= this.#revalidateAt && this.#loading === undefined) this.#background()
    const id = this.#ids.get(definition)
    if (id !== undefined) return id
    if (
      !this.#full &&
      now >= this.#retryAt &&
      !this.#registering.has(definition) &&
      this.#ids.size + this.#registering.size < this.#limit &&
      Buffer.byteLength(definition) <= maxDefinitionLength
    ) {
      this.#register(definition, fields)
    }
    return undefined
  }

  /** The field names of structure `id`, or `undefined` when it is not known here (yet). */
  fieldsOf(id: number): readonly string[] | undefined {
    return this.#fields.get(id)
  }

  /**
   * Loads the registry from Redis; resolves once a load that started at or after this call ended.
   * At most one load is out at a time, and at most one more waits for it, whatever the number of
   * callers: reads that meet unknown ids cost one load per round trip, not one each.
   */
  reload(): Promise<void> {
    if (this.#next !== undefined) return this.#next
    if (this.#loading === undefined) {
      this.#loading = this.#load().finally(() => {
        this.#loading = undefined
      })
      return this.#loading
    }
    this.#next = this.#loading
      .catch(() => {})
      .then(() => {
        this.#next = undefined
        return this.reload()
      })
    return this.#next
  }

  #background(): void {
    this.reload().catch((error: unknown) => this.#hooks.report(error))
  }

  async #load(): Promise<void> {
    this.#revalidateAt = this.#hooks.now() + revalidateMs
    const items = await this.#store.load(this.#limit, maxDefinitionLength)
    if (items.length === 0) {
      // No registry (yet, or any more): nothing written from now on names an id until one is registered.
      this.#adopt(undefined)
      return
    }
    const base = baseOf(items[0])
    if (base !== this.#base) this.#adopt(base)
    if (base === undefined) return
    for (let index = 1; index < items.length; index++) this.#learn(base, index - 1, items[index] as string)
    this.#full = items.length - 1 >= this.#limit
  }

  #register(definition: string, fields: readonly string[]): void {
    this.#registering.add(definition)
    this.#store
      .register(definition, this.#freshBase(), this.#limit)
      .then(
        ([stored, index]) => {
          const registered = baseOf(stored)
          if (registered !== this.#base) this.#adopt(registered)
          if (registered === undefined) {
            // A corrupt registry: nothing is written as a record of it; asked again only now and then.
            this.#retryAt = this.#hooks.now() + revalidateMs
            this.#hooks.report(
              new TypeError(
                `The shared-structure registry's base is corrupt: ${String(stored).slice(0, 40)}`,
              ),
            )
            return
          }
          if (index < 0) this.#full = true
          else if (Number.isSafeInteger(index)) this.#add(registered, index, definition, fields)
        },
        (error: unknown) => {
          this.#retryAt = this.#hooks.now() + retryAfterMs
          this.#hooks.report(error)
        },
      )
      .finally(() => this.#registering.delete(definition))
  }

  /**
   * The base a registry created by this registration would get (one that exists keeps its own): at
   * random, but never one whose ids overlap those of the registry known here, which a registry
   * created anew replaces (it was deleted or evicted meanwhile): entries that name the old ids are
   * then unknown to the new one, never taken for its structures.
   */
  #freshBase(): number {
    if (this.#base === undefined) return randomInt(0x10000)
    return (this.#base + this.#limit + randomInt(0x10000 - 2 * this.#limit + 1)) % 0x10000
  }

  /** Takes what Redis holds for a registry of `base` (`undefined`: none, or a corrupt one): what was known of another is forgotten. */
  #adopt(base: number | undefined): void {
    this.#base = base
    this.#ids.clear()
    this.#fields.clear()
    this.#full = false
  }

  #learn(base: number, index: number, definition: string): void {
    const fields = parseDefinition(definition)
    if (fields !== undefined) this.#add(base, index, definition, fields)
  }

  #add(base: number, index: number, definition: string, fields: readonly string[]): void {
    const id = (base + index) % 0x10000
    const known = this.#fields.get(id)
    if (known !== undefined && JSON.stringify(known) !== definition) {
      // Redis holds another structure under an id known here (a registry replaced under the same
      // base): nothing known here is trusted until a load reads the registry afresh.
      this.#adopt(undefined)
      this.#background()
      return
    }
    this.#fields.set(id, fields)
    if (!this.#ids.has(definition)) this.#ids.set(definition, id)
  }
}
