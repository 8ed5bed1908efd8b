import { EventEmitter } from 'node:events'
import { EntryCodec } from '../../entry/entry-codec.js'
import { DecodeError, describe } from '../../errors.js'
import { clearNamespace, namespaceKeys } from '../namespace-walk.js'
import { StructureBase } from '../structure-base.js'
import type { StructureEvents } from '../structure-events.js'
import { readOfType } from '../structure-read.js'
import { type FlipListOptions, type ResolvedListOptions, resolveListOptions } from './list-options.js'
import { pushAndTrim } from './list-scripts.js'
import { listWindow } from './list-window.js'

/**
 * Latest-N lists of keys `K` and values `V`: list `key` is the Redis list `name:key`, newest value
 * first, never longer than `maxLength`. Each call is one round trip (calls of one tick share it
 * with every flipcache class on the client); a push, its trim and its expiry are one atomic step.
 */
export class FlipList<K = string, V = unknown> extends EventEmitter<StructureEvents> {
  /** How many values each list keeps. */
  readonly maxLength: number
  readonly #base: StructureBase<K>
  readonly #entries: EntryCodec<V>
  readonly #expireMs: number | null

  constructor(name: string, options: FlipListOptions<K, V> | FlipListOptions<K, V, Buffer>) {
    super()
    const resolved: ResolvedListOptions<K, V> = resolveListOptions(options)
    this.#base = new StructureBase('FlipList', name, resolved, this)
    this.maxLength = resolved.maxLength
    this.#expireMs = resolved.expireMs
    this.#entries = new EntryCodec(resolved.values, undefined, (redisKey) => redisKey, resolved.maxValueBytes)
  }

  /** The list's name: its keys are `name:key`. */
  get name(): string {
    return this.#base.name
  }

  /**
   * Pushes `values` onto list `key`, in order (the last one given is the newest), trims the list to
   * its newest `maxLength` and sets its expiry, in one atomic step; resolves to the list's length.
   * A value that does not fit the value type is a `TypeError`, one longer than `maxValueBytes` an
   * `E_TOO_LARGE`: then nothing is written.
   */
  push(key: K, ...values: V[]): Promise<number> {
    return this.#base.call(async () => {
      if (values.length === 0) throw new TypeError('Expected push() to get at least one value after the key')
      const redisKey = this.#base.redisKey(key)
      // Every value is checked (a bad one refuses the push), but only the newest maxLength can stay: older ones are not sent.
      const encoded = values.map((value) => this.#entries.encode(redisKey, value))
      const kept = encoded.slice(-this.maxLength).map((value) => this.#entries.frame(value))
      return pushAndTrim.run<number>(
        this.#base.transport,
        [redisKey],
        [this.maxLength, this.#expireMs ?? 0, ...kept],
      )
    })
  }

  /**
   * The values of list `key` from index `start` to `stop`, both included, newest first: index 0 is
   * the newest, 1 the one pushed before it; a negative index counts from the oldest (-1 is the
   * oldest), as Redis's LRANGE. The default is the whole list. A missing list is `[]`; a stored
   * element that does not decode is left out and reported (`E_DECODE`). At most `maxLength` values
   * are read, even of a list something else made longer (read as if trimmed).
   */
  range(key: K, start = 0, stop = -1): Promise<V[]> {
    return this.#base.call(async () => {
      checkIndex('start', start)
      checkIndex('stop', stop)
      const redisKey = this.#base.redisKey(key)
      const window = listWindow(start, stop, this.maxLength)
      const raw = await this.#read<Buffer[]>(redisKey, 'LRANGE', [window.start, window.stop], [])
      const values: V[] = []
      for (const element of raw.slice(0, Math.max(0, raw.length - window.dropLast))) {
        const entry = this.#entries.unframe(redisKey, element)
        if (entry instanceof DecodeError) this.#base.report(entry, { operation: 'read' })
        else values.push(entry.value)
      }
      return values
    })
  }

  /** How many values list `key` holds (0 for a missing list). */
  length(key: K): Promise<number> {
    return this.#base.call(() => this.#length(this.#base.redisKey(key)))
  }

  /** How many values each of `keys` holds, in order: one round trip. */
  lengths(keys: readonly K[]): Promise<number[]> {
    return this.#base.call(() => {
      if (!Array.isArray(keys)) throw new TypeError(`Expected an array of keys, got ${describe(keys)}`)
      const redisKeys = keys.map((key) => this.#base.redisKey(key))
      return Promise.all(redisKeys.map((redisKey) => this.#length(redisKey)))
    })
  }

  /** Removes list `key`; resolves to whether it existed. */
  delete(key: K): Promise<boolean> {
    return this.#base.call(
      async () => (await this.#base.transport.command<number>('UNLINK', [this.#base.redisKey(key)])) > 0,
    )
  }

  /** Every key of the namespace once (SCAN, never KEYS); a Redis key that does not decode is skipped and reported. Rejects with `E_CLOSED` after close(). */
  keys(): AsyncGenerator<K, void, undefined> {
    return namespaceKeys(this.#base)
  }

  /** Removes every list of the namespace (SCAN + UNLINK in batches); resolves to how many were removed. */
  clear(): Promise<number> {
    return this.#base.call(() => clearNamespace(this.#base))
  }

  /** Rejects calls still waiting with `E_CLOSED` and closes a client the list opened itself. Idempotent. */
  close(): Promise<void> {
    return this.#base.close()
  }

  #length(redisKey: string): Promise<number> {
    return this.#read<number>(redisKey, 'LLEN', [], 0)
  }

  #read<T>(redisKey: string, command: string, args: number[], missing: T): Promise<T> {
    return readOfType(this.#base, 'a list', { redisKey, command, args, missing, reply: 'buffer' })
  }
}

function checkIndex(name: string, index: unknown): void {
  if (!Number.isSafeInteger(index)) {
    throw new TypeError(`Expected \`${name}\` to be a safe integer (a list index), got ${describe(index)}`)
  }
}
