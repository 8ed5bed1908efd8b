import { FrequencySketch } from './frequency-sketch.js'
import { KeyedPolicy } from './keyed-policy.js'
import type { PolicyBounds } from './local-policy.js'
import { hashKey, PolicyList, PolicyNode } from './policy-list.js'

const WINDOW = 0
const PROBATION = 1
const PROTECTED = 2
/** The admission window's share of the bounds; the main space keeps 80% of its own for protected entries. */
const WINDOW_SHARE = 0.01
const PROTECTED_SHARE = 0.8
/** The entries the frequency sketch is first sized for (it grows with the entries held). */
const INITIAL_SKETCH_CAPACITY = 1024

/**
 * W-TinyLFU. A new key enters a small LRU window (1% of the bounds); the window's oldest, when the
 * window is full, is a candidate for the main space, a segmented LRU (probation, then protected
 * once hit again). When the main space is full, the candidate replaces the main space's victim
 * (probation's oldest) only if it was used more often lately; else the candidate goes.
 * A burst of one-off keys (a scan) thus passes through the window without displacing hot keys.
 *
 * An entry held counts its own uses (4 bits, on the entry: a hit touches no table); the sketch keeps
 * the counts of keys no longer held, written when they leave, and a new key starts from its count
 * there. Every 10 uses per entry the sketch is sized for (it grows with the entries held, up to
 * `maxEntries`) the counts are halved: the sketch's at once, an entry's when it
 * is next used or compared (by the periods it missed).
 */
export class TinyLfuPolicy<E> extends KeyedPolicy<E> {
  readonly #window = new PolicyList<E>()
  readonly #probation = new PolicyList<E>()
  readonly #protected = new PolicyList<E>()
  readonly #sketch: FrequencySketch
  readonly #windowMaxEntries: number
  readonly #windowMaxBytes: number
  readonly #mainMaxEntries: number
  readonly #mainMaxBytes: number
  readonly #protectedMaxEntries: number
  readonly #protectedMaxBytes: number
  /** The aging period: counts from an earlier one are halved once per period missed. */
  #epoch = 0
  /** Uses counted in this aging period, and how many end it. */
  #uses = 0
  #sampleSize: number

  constructor(bounds: PolicyBounds) {
    super(bounds)
    const { maxEntries, maxBytes } = bounds
    this.#windowMaxEntries = Math.max(1, Math.round(maxEntries * WINDOW_SHARE))
    this.#windowMaxBytes = maxBytes * WINDOW_SHARE
    this.#mainMaxEntries = maxEntries - this.#windowMaxEntries
    this.#mainMaxBytes = maxBytes - this.#windowMaxBytes
    this.#protectedMaxEntries = Math.floor(this.#mainMaxEntries * PROTECTED_SHARE)
    this.#protectedMaxBytes = this.#mainMaxBytes * PROTECTED_SHARE
    this.#sketch = new FrequencySketch(maxEntries, INITIAL_SKETCH_CAPACITY)
    this.#sampleSize = 10 * this.#sketch.capacity
  }

  get bytes(): number {
    return this.#window.bytes + this.#probation.bytes + this.#protected.bytes
  }

  get(key: string): E | undefined {
    const node = this.nodes.get(key)
    if (node === undefined) return undefined
    this.#count(node)
    this.#used(node)
    return node.value
  }

  set(key: string, value: E, bytes: number): void {
    if (this.refused(key, bytes)) return
    const held = this.nodes.get(key)
    if (held !== undefined) {
      held.value = value
      this.listOf(held).bytes += bytes - held.bytes
      held.bytes = bytes
      this.#count(held)
      this.#used(held)
      this.#fit(held)
      return
    }
    const node = new PolicyNode<E>(key, value, bytes, hashKey(key))
    this.nodes.set(key, node)
    if (this.#sketch.grow(this.nodes.size)) this.#sampleSize = 10 * this.#sketch.capacity
    node.hits = this.#sketch.frequency(node.hash)
    node.epoch = this.#epoch
    this.#count(node)
    this.#window.push(node, WINDOW)
    this.#fit(node)
  }

  /** A key deleted leaves its count in the sketch, as one evicted does. */
  protected override forgotten(node: PolicyNode<E>): void {
    this.#sketch.record(node.hash, this.#frequency(node))
  }

  clear(): void {
    this.nodes.clear()
    this.#window.clear()
    this.#probation.clear()
    this.#protected.clear()
    this.#sketch.clear()
    this.#uses = 0
  }

  /** How often `key` was used lately, as admission sees it (for tests). */
  frequencyOf(key: string): number {
    const node = this.nodes.get(key)
    return node === undefined ? this.#sketch.frequency(hashKey(key)) : this.#frequency(node)
  }

  /** One use of `node`: its count rises (after the halvings of the periods it missed), and the period may end. */
  #count(node: PolicyNode<E>): void {
    const hits = node.epoch === this.#epoch ? node.hits : this.#frequency(node)
    if (hits < 15) node.hits = hits + 1
    if (++this.#uses >= this.#sampleSize) this.#age()
  }

  /** `node`'s count, halved once per aging period since it was last counted. */
  #frequency(node: PolicyNode<E>): number {
    const missed = this.#epoch - node.epoch
    if (missed !== 0) {
      node.hits = missed >= 4 ? 0 : node.hits >>> missed
      node.epoch = this.#epoch
    }
    return node.hits
  }

  /** An aging period ends: every count is halved (the entries' lazily). */
  #age(): void {
    this.#sketch.halve()
    this.#epoch++
    this.#uses = 0
  }

  /** Which segment holds `key`, if any (for tests). */
  segmentOf(key: string): 'window' | 'probation' | 'protected' | undefined {
    const node = this.nodes.get(key)
    if (node === undefined) return undefined
    return node.queue === WINDOW ? 'window' : node.queue === PROBATION ? 'probation' : 'protected'
  }

  protected listOf(node: PolicyNode<E>): PolicyList<E> {
    return node.queue === WINDOW ? this.#window : node.queue === PROBATION ? this.#probation : this.#protected
  }

  /** A hit: the window and protected entries move to their newest end, a probation entry is promoted. */
  #used(node: PolicyNode<E>): void {
    const queue = node.queue
    if (queue === PROTECTED) {
      this.#protected.touch(node)
    } else if (queue === WINDOW) {
      this.#window.touch(node)
    } else {
      this.#probation.remove(node)
      this.#protected.push(node, PROTECTED)
      this.#demote()
    }
  }

  /** Protected entries past protected's share go back to probation, newest end (a second chance). */
  #demote(): void {
    const guarded = this.#protected
    while (
      (guarded.count > this.#protectedMaxEntries || guarded.bytes > this.#protectedMaxBytes) &&
      guarded.count > 1
    ) {
      const oldest = guarded.oldest as PolicyNode<E>
      guarded.remove(oldest)
      this.#probation.push(oldest, PROBATION)
    }
  }

  /** Brings the window, then the whole, back within bounds, by admission then by eviction; `written` stays. */
  #fit(written: PolicyNode<E>): void {
    const window = this.#window
    // The newest entry stays in the window, however large (it is within maxBytes).
    while (
      (window.count > this.#windowMaxEntries || window.bytes > this.#windowMaxBytes) &&
      window.count > 1
    ) {
      const candidate = window.oldest as PolicyNode<E>
      window.remove(candidate)
      this.#admit(candidate)
    }
    const { maxEntries, maxBytes } = this.bounds
    while (this.nodes.size > maxEntries || this.bytes > maxBytes) {
      const victim =
        oldestBut(written, this.#probation) ??
        oldestBut(written, this.#protected) ??
        oldestBut(written, window)
      // Only `written` is left, and it fits the bounds on its own.
      if (victim === undefined) return
      this.#evict(victim)
    }
  }

  /** The window's `candidate` enters probation if there is room, or if it is seen more often than each victim it displaces. */
  #admit(candidate: PolicyNode<E>): void {
    const probation = this.#probation
    const guarded = this.#protected
    const mainMaxEntries = this.#mainMaxEntries
    const mainMaxBytes = this.#mainMaxBytes
    const sketch = this.#sketch
    while (
      probation.count + guarded.count >= mainMaxEntries ||
      probation.bytes + guarded.bytes + candidate.bytes > mainMaxBytes
    ) {
      const victim = probation.oldest ?? guarded.oldest
      if (victim === undefined || this.#frequency(candidate) <= this.#frequency(victim)) {
        // Not admitted: it leaves (it was taken out of the window already).
        this.nodes.delete(candidate.key)
        sketch.record(candidate.hash, this.#frequency(candidate))
        this.bounds.onEvict?.(candidate.key)
        return
      }
      this.#evict(victim)
    }
    probation.push(candidate, PROBATION)
  }

  #evict(node: PolicyNode<E>): void {
    this.listOf(node).remove(node)
    this.nodes.delete(node.key)
    this.#sketch.record(node.hash, this.#frequency(node))
    this.bounds.onEvict?.(node.key)
  }
}

/** The oldest node of `list` other than `spared`, if any. */
function oldestBut<E>(spared: PolicyNode<E>, list: PolicyList<E>): PolicyNode<E> | undefined {
  const oldest = list.oldest
  if (oldest !== spared) return oldest
  const next = oldest.next
  return next === list.head ? undefined : next
}
