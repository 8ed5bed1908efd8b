import { KeyedPolicy } from './keyed-policy.js'
import type { PolicyBounds } from './local-policy.js'
import { hashKey, PolicyList, PolicyNode } from './policy-list.js'

const SMALL = 0
const MAIN = 1
/** The small FIFO's share of the bounds. */
const SMALL_SHARE = 0.1
/** The most hits an entry counts (2 bits). */
const MAX_HITS = 3

/**
 * S3-FIFO. A new key enters a small FIFO (10% of the bounds); leaving it, a key hit at least twice
 * moves to the main FIFO, others go, remembered by hash in a ghost FIFO (as many as main holds).
 * A key found in the ghost enters main directly. Main's oldest entry, when room is needed, goes
 * back to main's newest end if it was hit since it last passed (one hit less), else it goes.
 * A hit only bumps a counter on the entry: no list is touched.
 */
export class S3FifoPolicy<E> extends KeyedPolicy<E> {
  readonly #small = new PolicyList<E>()
  readonly #main = new PolicyList<E>()
  /** Hashes of keys recently let go from the small FIFO, oldest first. */
  #ghost = new Set<number>()
  readonly #smallMaxEntries: number
  readonly #smallMaxBytes: number
  readonly #ghostMax: number

  constructor(bounds: PolicyBounds) {
    super(bounds)
    this.#smallMaxEntries = Math.max(1, Math.round(bounds.maxEntries * SMALL_SHARE))
    this.#smallMaxBytes = bounds.maxBytes * SMALL_SHARE
    this.#ghostMax = Math.max(1, bounds.maxEntries - this.#smallMaxEntries)
  }

  get bytes(): number {
    return this.#small.bytes + this.#main.bytes
  }

  get(key: string): E | undefined {
    const node = this.nodes.get(key)
    if (node === undefined) return undefined
    if (node.hits < MAX_HITS) node.hits++
    return node.value
  }

  set(key: string, value: E, bytes: number): void {
    if (this.refused(key, bytes)) return
    const held = this.nodes.get(key)
    let node: PolicyNode<E>
    let queue: number
    if (held !== undefined) {
      // Taken out while room is made, so that making room never drops the entry just written.
      this.delete(key)
      held.value = value
      held.bytes = bytes
      if (held.hits < MAX_HITS) held.hits++
      node = held
      queue = held.queue
    } else {
      node = new PolicyNode<E>(key, value, bytes, hashKey(key))
      queue = this.#ghost.delete(node.hash) ? MAIN : SMALL
    }
    this.#makeRoom(bytes)
    this.nodes.set(key, node)
    ;(queue === SMALL ? this.#small : this.#main).push(node, queue)
  }

  clear(): void {
    this.nodes.clear()
    this.#small.clear()
    this.#main.clear()
    this.#ghost = new Set()
  }

  /** Which FIFO holds `key`, if any (for tests). */
  queueOf(key: string): 'small' | 'main' | undefined {
    const node = this.nodes.get(key)
    if (node === undefined) return undefined
    return node.queue === SMALL ? 'small' : 'main'
  }

  protected listOf(node: PolicyNode<E>): PolicyList<E> {
    return node.queue === SMALL ? this.#small : this.#main
  }

  /** Evicts until one more entry of `bytes` fits. */
  #makeRoom(bytes: number): void {
    const { maxEntries, maxBytes } = this.bounds
    const small = this.#small
    const main = this.#main
    while (this.nodes.size >= maxEntries || small.bytes + main.bytes + bytes > maxBytes) {
      if (small.count === 0 && main.count === 0) return
      if (
        small.count > 0 &&
        (small.count >= this.#smallMaxEntries || small.bytes >= this.#smallMaxBytes || main.count === 0)
      ) {
        this.#evictSmall()
      } else {
        this.#evictMain()
      }
    }
  }

  /** Small's oldest moves to main if it was hit more than once, else goes (into the ghost). */
  #evictSmall(): void {
    const small = this.#small
    const oldest = small.oldest as PolicyNode<E>
    small.remove(oldest)
    if (oldest.hits > 1) {
      oldest.hits = 0
      this.#main.push(oldest, MAIN)
      return
    }
    this.nodes.delete(oldest.key)
    const ghost = this.#ghost
    ghost.add(oldest.hash)
    if (ghost.size > this.#ghostMax) {
      const first = ghost.values().next()
      if (first.done !== true) ghost.delete(first.value)
    }
    this.bounds.onEvict?.(oldest.key)
  }

  /** Main's oldest gets another round if it was hit since the last (one hit less), else goes. */
  #evictMain(): void {
    const main = this.#main
    for (;;) {
      const oldest = main.oldest
      if (oldest === undefined) return
      if (oldest.hits > 0) {
        oldest.hits--
        main.touch(oldest)
        continue
      }
      main.remove(oldest)
      this.nodes.delete(oldest.key)
      this.bounds.onEvict?.(oldest.key)
      return
    }
  }
}
