import { KeyedPolicy } from './keyed-policy.js'
import { PolicyList, PolicyNode } from './policy-list.js'

/**
 * Least recently used: a hit moves the entry to the newest end of one list, and room is made by
 * dropping from its oldest end. Exact (unlike quick-lru's two generations, which hold up to twice
 * their size): memory holds at most `maxEntries` entries.
 */
export class LruPolicy<E> extends KeyedPolicy<E> {
  readonly #list = new PolicyList<E>()

  get bytes(): number {
    return this.#list.bytes
  }

  get(key: string): E | undefined {
    const node = this.nodes.get(key)
    if (node === undefined) return undefined
    this.#list.touch(node)
    return node.value
  }

  set(key: string, value: E, bytes: number): void {
    if (this.refused(key, bytes)) return
    const { maxEntries, maxBytes } = this.bounds
    const held = this.nodes.get(key)
    const list = this.#list
    if (held === undefined) {
      const node = new PolicyNode<E>(key, value, bytes, 0)
      this.nodes.set(key, node)
      list.push(node, 0)
    } else {
      held.value = value
      list.bytes += bytes - held.bytes
      held.bytes = bytes
      list.touch(held)
    }
    while (list.count > maxEntries || list.bytes > maxBytes) this.#evictOldest()
  }

  clear(): void {
    this.nodes.clear()
    this.#list.clear()
  }

  protected listOf(): PolicyList<E> {
    return this.#list
  }

  #evictOldest(): void {
    const oldest = this.#list.oldest
    if (oldest === undefined) return
    this.#list.remove(oldest)
    this.nodes.delete(oldest.key)
    this.bounds.onEvict?.(oldest.key)
  }
}
