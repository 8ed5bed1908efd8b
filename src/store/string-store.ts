import type { SlotRouter } from '../redis/slot-router.js'
import type { Arg, ReadReply, ReplyMode, TransportView } from '../redis/transport-view.js'
import type { RedisValue } from '../types/value-codec.js'
import { escapeGlob } from './glob.js'
import { PrefixedKeys } from './prefixed-keys.js'
import { scanKeys } from './scan-keys.js'
import { setEach } from './scripts.js'
import type { ScanBatch, Store } from './store.js'

/** How many keys one SCAN step asks for, and how many keys one UNLINK removes. */
const scanCount = 500
/** The most keys one write script takes: Redis runs nothing else meanwhile (~1 ms for 500). */
const scriptKeys = 500

/**
 * L2's layout: entry `key` of cache `name` is the Redis string `name:key`, holding the encoded value
 * alone. Methods take encoded keys (without the prefix) and go through the batcher, so calls made
 * in the same tick share one round trip.
 */
export class StringStore implements Store {
  readonly #batcher: TransportView
  readonly #keys: PrefixedKeys
  readonly #reply: ReplyMode
  /** Redis refused a script of this store's: its writes of many entries go as SETs. */
  #scriptsRefused = false

  /** `prefix`: what every Redis key of the cache starts with (`name:`, or `{name}:` with hashTag). */
  constructor(batcher: TransportView, prefix: string, reply: ReplyMode) {
    this.#batcher = batcher
    this.#keys = new PrefixedKeys(prefix)
    this.#reply = reply
  }

  /** Strings expire by Redis's own TTL. */
  headerExpiry(): boolean {
    return false
  }

  redisKey(key: string): string {
    return this.#keys.of(key)
  }

  /** Values of `keys` (one MGET with the other reads of this tick), and their PTTLs when `withTtl`. */
  read(keys: string[], withTtl: boolean): Promise<ReadReply> {
    return this.#batcher.read(this.#keys.all(keys), this.#reply, withTtl)
  }

  /** Values of `keys`, each read with `GETEX ... PX ttlMs` so that reading pushes its expiry back. */
  async readSliding(keys: string[], ttlMs: number): Promise<ReadReply> {
    const values = await Promise.all(
      keys.map((key) =>
        this.#batcher.command<RedisValue | null>('GETEX', [this.#keys.of(key), 'PX', ttlMs], this.#reply),
      ),
    )
    return { values, ttls: undefined }
  }

  /** Writes every entry (`SET ... PX`, or one `MSET` when nothing expires); one round trip. */
  async write(entries: [key: string, value: RedisValue][], ttlMs: number | null): Promise<undefined> {
    if (ttlMs === null && entries.length > 1) {
      await this.#batcher.command(
        'MSET',
        entries.flatMap(([key, value]) => [this.#keys.of(key), value]),
      )
      return
    }
    const only = entries.length === 1 ? entries[0] : undefined
    if (only !== undefined) {
      const [key, value] = only
      const args = ttlMs === null ? [this.#keys.of(key), value] : [this.#keys.of(key), value, 'PX', ttlMs]
      await this.#batcher.command('SET', args)
      return
    }
    if (ttlMs === null) return
    await Promise.all(this.#writeExpiring(entries, ttlMs))
  }

  /**
   * Many entries with one expiry: one script per slot and per `scriptKeys` entries (a single SET for
   * an entry alone in its slot), all in this tick's pipeline. Where Redis refuses scripts (an ACL
   * without `EVAL`, a renamed command), the refused ones go again as SETs, and so does every later
   * write of this store.
   */
  #writeExpiring(entries: [key: string, value: RedisValue][], ttlMs: number): Promise<unknown>[] {
    const set = ([key, value]: [string, RedisValue]): Promise<unknown> =>
      this.#batcher.command('SET', [this.#keys.of(key), value, 'PX', ttlMs])
    if (this.#scriptsRefused) return entries.map(set)
    const writes: Promise<unknown>[] = []
    for (const group of bySlot(entries, (key) => this.#keys.of(key), this.#batcher.router)) {
      if (group.length === 1) {
        writes.push(set(group[0] as [string, RedisValue]))
        continue
      }
      for (let start = 0; start < group.length; start += scriptKeys) {
        const chunk = group.slice(start, start + scriptKeys)
        const keys = chunk.map(([key]) => this.#keys.of(key))
        const args: Arg[] = chunk.map(([, value]) => value)
        args.push(ttlMs)
        writes.push(
          setEach.run(this.#batcher, keys, args).catch((error: unknown) => {
            if (!refusesScripts(error)) throw error
            this.#scriptsRefused = true
            return Promise.all(chunk.map(set))
          }),
        )
      }
    }
    return writes
  }

  /** Removes `keys` with one UNLINK; resolves to how many existed. */
  remove(keys: string[]): Promise<number> {
    return this.#batcher.command<number>('UNLINK', this.#keys.all(keys))
  }

  /** Redis expires strings itself. */
  removeExpired(): void {}

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
    const prefix = this.#keys.prefix
    for await (const found of scanKeys(this.#batcher, `${escapeGlob(prefix)}*`, scanCount)) {
      yield { keys: found.map((redisKey) => redisKey.slice(prefix.length)) }
    }
  }

  /**
   * Removes every key of the namespace: SCAN, then UNLINK each batch (`removing` hears its keys in
   * the same tick, to send more in the same round trip); resolves to how many were removed.
   */
  async removeAll(removing?: (keys: string[]) => void): Promise<number> {
    let removed = 0
    for await (const { keys } of this.scan()) {
      const unlinked = this.remove(keys)
      removing?.(keys)
      removed += await unlinked
    }
    return removed
  }
}

/** `entries` in groups whose Redis keys share a slot: one group on a single node. */
function bySlot<T extends [string, unknown]>(
  entries: T[],
  redisKey: (key: string) => string,
  router: SlotRouter | undefined,
): T[][] {
  if (router === undefined) return [entries]
  const groups = new Map<number, T[]>()
  for (const entry of entries) {
    const slot = router.slotOf(redisKey(entry[0]))
    const group = groups.get(slot)
    if (group === undefined) groups.set(slot, [entry])
    else group.push(entry)
  }
  return [...groups.values()]
}

/** Whether Redis refused to run a script at all (an ACL without it, a renamed or disabled `EVAL`). */
function refusesScripts(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (/\bNOPERM\b|unknown command/i.test(cause.message)) return true
  }
  return false
}
