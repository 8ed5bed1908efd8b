import type { TransportView } from '../redis/transport-view.js'
import type { RedisValue } from '../types/value-codec.js'

/**
 * Warns (once each) when buckets are likely to leave Redis's compact listpack encoding, which is
 * where their memory saving comes from: a bucket with more fields than `hash-max-listpack-entries`,
 * or a value longer than `hash-max-listpack-value`.
 */
export class ListpackWatch {
  readonly #batcher: TransportView
  readonly #bucketSize: number | undefined
  readonly #warn: (message: string) => void
  /** The server's limits: `undefined` until known, `null` when it will not tell (CONFIG refused). */
  #limits: ListpackLimits | null | undefined
  #asked = false
  /** The longest value written while the limits were being asked for. */
  #longestMeanwhile = 0
  readonly #warned = new Set<'entries' | 'value'>()

  constructor(batcher: TransportView, bucketSize: number | undefined, warn: (message: string) => void) {
    this.#batcher = batcher
    this.#bucketSize = bucketSize
    this.#warn = warn
  }

  /** Compares a write with the limits: at once once they are known; the first write asks for them. */
  check(entries: [key: string, value: RedisValue][]): void {
    if (this.#limits === null || this.#warned.has('value')) return
    const longest = entries.reduce(
      (most, [, value]) =>
        Math.max(most, typeof value === 'string' ? Buffer.byteLength(value) : value.length),
      0,
    )
    if (this.#limits !== undefined) {
      this.#compare(this.#limits, longest)
      return
    }
    this.#longestMeanwhile = Math.max(this.#longestMeanwhile, longest)
    if (this.#asked) return
    this.#asked = true
    this.#batcher
      .command<string[]>('CONFIG', ['GET', 'hash-max-listpack-*'])
      // CONFIG may be forbidden (managed Redis, ACLs): then there is nothing to compare with.
      .then(parseLimits, () => null)
      .then((limits) => {
        this.#limits = limits
        if (limits !== null) this.#compare(limits, this.#longestMeanwhile)
      })
  }

  #compare(limits: ListpackLimits, longest: number): void {
    if (this.#bucketSize !== undefined && this.#bucketSize > limits.entries) {
      this.#once(
        'entries',
        `buckets of ${this.#bucketSize} fields exceed hash-max-listpack-entries (${limits.entries})`,
      )
    }
    if (longest > limits.value) {
      this.#once('value', `a value of ${longest} bytes exceeds hash-max-listpack-value (${limits.value})`)
    }
  }

  #once(kind: 'entries' | 'value', what: string): void {
    if (this.#warned.has(kind)) return
    this.#warned.add(kind)
    this.#warn(
      `${what}: those buckets leave the compact listpack encoding and cost far more memory; see docs/memory.md`,
    )
  }
}

interface ListpackLimits {
  entries: number
  value: number
}

/** `CONFIG GET hash-max-listpack-*` as limits, or `null` when the reply lacks them. */
function parseLimits(pairs: string[]): ListpackLimits | null {
  const config = new Map<string, number>()
  for (let index = 0; index + 1 < pairs.length; index += 2)
    config.set(String(pairs[index]), Number(pairs[index + 1]))
  const entries = config.get('hash-max-listpack-entries')
  const value = config.get('hash-max-listpack-value')
  return entries === undefined || value === undefined ? null : { entries, value }
}
