import type { LocalPolicy, PolicyBounds } from './local-policy.js'
import type { PolicyList, PolicyNode } from './policy-list.js'

/**
 * What every policy shares: its entries by key (the one map of them), its bounds, and the calls
 * that need no eviction order (`peek`, `has`, `keys`, `delete`, `size`). Each policy keeps its own
 * lists, says which list holds a node (`listOf`), and decides on use, write and room.
 */
export abstract class KeyedPolicy<E> implements LocalPolicy<E> {
  protected readonly nodes = new Map<string, PolicyNode<E>>()
  protected readonly bounds: PolicyBounds

  constructor(bounds: PolicyBounds) {
    this.bounds = bounds
  }

  abstract readonly bytes: number
  abstract get(key: string): E | undefined
  abstract set(key: string, value: E, bytes: number): void
  abstract clear(): void
  /** The list that holds `node`. */
  protected abstract listOf(node: PolicyNode<E>): PolicyList<E>

  get size(): number {
    return this.nodes.size
  }

  peek(key: string): E | undefined {
    return this.nodes.get(key)?.value
  }

  has(key: string): boolean {
    return this.nodes.has(key)
  }

  keys(): IterableIterator<string> {
    return this.nodes.keys()
  }

  delete(key: string): boolean {
    const node = this.nodes.get(key)
    if (node === undefined) return false
    this.nodes.delete(key)
    this.listOf(node).remove(node)
    this.forgotten(node)
    return true
  }

  /** `node` left by `delete` (a policy that remembers keys let go records it here). */
  protected forgotten(_node: PolicyNode<E>): void {}

  /** A value of `bytes` past `maxBytes` is never kept: `key`'s old value goes too. True when refused. */
  protected refused(key: string, bytes: number): boolean {
    if (bytes <= this.bounds.maxBytes) return false
    this.delete(key)
    return true
  }
}
