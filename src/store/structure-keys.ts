import type { TransportView } from '../redis/transport-view.js'
import { LuaScript } from './scripts.js'

/** What every shared-structure registry key starts with, before the cache's key prefix. */
export const structuresPrefix = '_structures:'

/** The registry key of the cache whose keys start with `keyPrefix` (`name:`, `{name}:`, with `v<version>:`). */
export function structuresKeyOf(keyPrefix: string): string {
  return `${structuresPrefix}${keyPrefix}registry`
}

/**
 * The registry as the client reads it: KEYS[1]'s first ARGV[1] + 1 elements (its base, then at most
 * ARGV[1] definitions), each longer than ARGV[2] bytes replaced by '' (a definition flipcache never
 * writes), so that hostile data in the key costs a bounded reply.
 */
const loadRegistry = new LuaScript(`
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]))
local longest = tonumber(ARGV[2])
for index, item in ipairs(items) do
  if #item > longest then items[index] = '' end
end
return items
`)

/**
 * Registers definition ARGV[1] in registry list KEYS[1] as one step: an empty list first gets its
 * base, ARGV[2]; a definition already there keeps its index; a new one is appended while fewer than
 * ARGV[3] are there. Replies {base, index} (index -1: the registry is full). Append-only, so an index
 * once given never changes meaning while the list lives.
 */
const registerDefinition = new LuaScript(`
local limit = tonumber(ARGV[3])
local items = redis.call('LRANGE', KEYS[1], 0, limit)
if #items == 0 then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  items = {ARGV[2]}
end
for index = 2, #items do
  if items[index] == ARGV[1] then return {items[1], index - 2} end
end
if #items - 1 >= limit then return {items[1], -1} end
return {items[1], redis.call('RPUSH', KEYS[1], ARGV[1]) - 2}
`)

/** What the registry asks of Redis (`StructureKeys`; a fake in unit tests). */
export interface StructureStore {
  /**
   * The registry as Redis holds it: its base first, then at most `limit` definitions (any longer
   * than `longest` bytes as `''`); `[]` when there is none.
   */
  load(limit: number, longest: number): Promise<string[]>
  /**
   * Registers `definition` (creating the registry with `base` if there is none); resolves to the
   * registry's base as stored and the definition's index, or -1 when `limit` definitions are there.
   */
  register(definition: string, base: number, limit: number): Promise<[string, number]>
}

/**
 * The registry in Redis: one list, `_structures:<keyPrefix>registry`, outside the cache's namespace
 * (so that keys(), entries() and clear() never see it) yet in its slot with `hashTag`. Every command
 * touches that one key, so a Cluster is no different.
 */
export class StructureKeys implements StructureStore {
  readonly #transport: TransportView
  readonly #key: string

  constructor(transport: TransportView, key: string) {
    this.#transport = transport
    this.#key = key
  }

  load(limit: number, longest: number): Promise<string[]> {
    return loadRegistry.run<string[]>(this.#transport, [this.#key], [limit, longest])
  }

  register(definition: string, base: number, limit: number): Promise<[string, number]> {
    return registerDefinition.run<[string, number]>(this.#transport, [this.#key], [definition, base, limit])
  }
}
