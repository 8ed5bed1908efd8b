import type { RedisValue } from '../types/value-codec.js'
import { escapeGlob } from './glob.js'
import type { PipelineBatcher, ReadReply, ReplyMode } from './pipeline-batcher.js'
import { PrefixedKeys } from './prefixed-keys.js'
import type { ScanBatch, Store } from './store.js'

/** How many keys one SCAN step asks for, and how many keys one UNLINK removes. */
const scanCount = 500

/**
 * L2's layout: entry `key` of cache `name` is the Redis string `name:key`, holding the encoded value
 * alone. Methods take encoded keys (without the prefix) and go through the batcher, so calls made
 * in the same tick share one round trip.
 */
export class StringStore implements Store {
  readonly expiryInValue = false
  readonly #batcher: PipelineBatcher
  readonly #keys: PrefixedKeys
  readonly #reply: ReplyMode

  constructor(batcher: PipelineBatcher, name: string, reply: ReplyMode) {
    this.#batcher = batcher
    this.#keys = new PrefixedKeys(name)
    this.#reply = reply
  }

  redisKey(key: string): string {
    return this.#keys.of(key)
  }

  /** Values of `keys` (one MGET with the other reads of this tick), and their PTTLs when `withTtl`. */
  read(keys: string[], withTtl: boolean): Promise<ReadReply> {
    return this.#batcher.read(this.#keys.all(keys), this.#reply, withTtl)
  }

  /** Values of `keys`, each read with `GETEX ... PX ttlMs` so that reading pushes its expiry back. */
  readSliding(keys: string[], ttlMs: number): Promise<(RedisValue | null)[]> {
    return Promise.all(
      keys.map((key) =>
        this.#batcher.command<RedisValue | null>('GETEX', [this.#keys.of(key), 'PX', ttlMs], this.#reply),
      ),
    )
  }

  /** Writes every entry (`SET ... PX`, or one `MSET` when nothing expires); one round trip. */
  async write(entries: [key: string, value: RedisValue][], ttlMs: number | null): Promise<void> {
    if (ttlMs === null && entries.length > 1) {
      await this.#batcher.command(
        'MSET',
        entries.flatMap(([key, value]) => [this.#keys.of(key), value]),
      )
      return
    }
    const px = ttlMs === null ? [] : ['PX', ttlMs]
    await Promise.all(
      entries.map(([key, value]) => this.#batcher.command('SET', [this.#keys.of(key), value, ...px])),
    )
  }

  /** Removes `keys` with one UNLINK; resolves to how many existed. */
  remove(keys: string[]): Promise<number> {
    return this.#batcher.command<number>('UNLINK', this.#keys.all(keys))
  }

  /** Redis expires strings itself. */
  expired(): void {}

  holds(suffix: string): string {
    return suffix
  }

  async exists(key: string): Promise<boolean> {
    return (await this.#batcher.command<number>('EXISTS', [this.#keys.of(key)])) > 0
  }

  /** Remaining life in ms; -1 for no expiry, -2 for a missing key (Redis's own PTTL answers). */
  pttl(key: string): Promise<number> {
    return this.#batcher.command<number>('PTTL', [this.#keys.of(key)])
  }

  /** Pushes the expiry of each key to `ttlMs` from now; resolves to whether each key still existed. */
  touch(keys: string[], ttlMs: number): Promise<boolean[]> {
    return Promise.all(
      keys.map(
        async (key) => (await this.#batcher.command<number>('PEXPIRE', [this.#keys.of(key), ttlMs])) === 1,
      ),
    )
  }

  /** Encoded keys of this namespace, a SCAN batch at a time (SCAN may repeat a key; callers dedupe). */
  async *scan(): AsyncGenerator<ScanBatch> {
    const pattern = `${escapeGlob(this.#keys.prefix)}*`
    let cursor = '0'
    do {
      const [next, found] = await this.#batcher.command<[string, string[]]>('SCAN', [
        cursor,
        'MATCH',
        pattern,
        'COUNT',
        scanCount,
      ])
      cursor = next
      if (found.length > 0) yield { keys: found.map((redisKey) => redisKey.slice(this.#keys.prefix.length)) }
    } while (cursor !== '0')
  }

  /** Removes every key of the namespace: SCAN, then UNLINK each batch; resolves to how many were removed. */
  async removeAll(): Promise<number> {
    let removed = 0
    for await (const { keys } of this.scan()) removed += await this.remove(keys)
    return removed
  }
}
