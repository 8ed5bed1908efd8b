import type { ReadReply } from '../../src/redis/transport-view.js'
import type { ScanBatch, Store } from '../../src/store/store.js'
import type { RedisValue } from '../../src/types/value-codec.js'

/** A call the store received, whose reply waits until the test releases it. */
export interface HeldCall<T> {
  method: string
  keys: string[]
  args: unknown[]
  release(reply: T): void
  fail(error: Error): void
}

/**
 * A fake `Store` whose replies the test releases by hand, so that a test chooses the interleaving
 * of reads and writes instead of hoping for it. Each call is held in `calls`, in order.
 */
export class ManualStore implements Store {
  readonly calls: HeldCall<unknown>[] = []
  readonly removedExpired: [key: string, raw: RedisValue][] = []
  /** Whether entries' expiry travels in their header (hash buckets on a server without field TTLs). */
  readonly expiryInValue: boolean

  constructor(options: { expiryInValue?: boolean } = {}) {
    this.expiryInValue = options.expiryInValue ?? false
  }

  headerExpiry(): boolean {
    return this.expiryInValue
  }

  /** The oldest call of `method` not yet released (throws if there is none). */
  next<T>(method: string): HeldCall<T> {
    const index = this.calls.findIndex((call) => call.method === method)
    if (index < 0) {
      throw new Error(`No ${method} call is waiting (waiting: ${this.calls.map((c) => c.method).join(', ')})`)
    }
    const [call] = this.calls.splice(index, 1)
    return call as HeldCall<T>
  }

  /** Whether a call of `method` is waiting. */
  waiting(method: string): number {
    return this.calls.filter((call) => call.method === method).length
  }

  redisKey(key: string): string {
    return `test:${key}`
  }

  read(keys: string[], withTtl: boolean): Promise<ReadReply> {
    return this.#hold('read', keys, [withTtl])
  }

  readSliding(keys: string[], ttlMs: number): Promise<ReadReply> {
    return this.#hold('readSliding', keys, [ttlMs])
  }

  write(entries: [key: string, value: RedisValue][], ttlMs: number | null): Promise<number[] | undefined> {
    return this.#hold(
      'write',
      entries.map(([key]) => key),
      [entries, ttlMs],
    )
  }

  remove(keys: string[]): Promise<number> {
    return this.#hold('remove', keys, [])
  }

  removeExpired(key: string, raw: RedisValue): void {
    this.removedExpired.push([key, raw])
  }

  exists(key: string): Promise<boolean> {
    return this.#hold('exists', [key], [])
  }

  pttl(key: string): Promise<number> {
    return this.#hold('pttl', [key], [])
  }

  touch(keys: string[], ttlMs: number): Promise<boolean[]> {
    return this.#hold('touch', keys, [ttlMs])
  }

  async *scan(): AsyncGenerator<ScanBatch> {
    yield await this.#hold<ScanBatch>('scan', [], [])
  }

  removeAll(): Promise<number> {
    return this.#hold('removeAll', [], [])
  }

  holds(suffix: string): string | { bucket: string } | undefined {
    return suffix
  }

  #hold<T>(method: string, keys: string[], args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.calls.push({
        method,
        keys,
        args,
        release: resolve as (reply: unknown) => void,
        fail: reject,
      })
    })
  }
}
