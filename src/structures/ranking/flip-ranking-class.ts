import { EventEmitter } from 'node:events'
import { DecodeError, describe } from '../../errors.js'
import type { KeyCodec } from '../../types/key-type.js'
import { clearNamespace, namespaceKeys } from '../namespace-walk.js'
import { StructureBase } from '../structure-base.js'
import type { StructureEvents } from '../structure-events.js'
import { readOfType } from '../structure-read.js'
import { type FlipRankingOptions, resolveRankingOptions } from './ranking-options.js'
import { incrementAndTrim } from './ranking-scripts.js'
import { parseScore, type Scored, type ScoreReply, scoredPairs } from './scores.js'

/** The most members one top() returns. */
export const largestTop = 100_000

/**
 * Top-N rankings of keys `K` and members `M`: ranking `key` is the Redis sorted set `name:key`,
 * members encoded as the `memberType` says, at most `maxSize` of them. Each call is one round trip
 * (calls of one tick share it with every flipcache class on the client); an increment, its trim and
 * its expiry are one atomic step.
 */
export class FlipRanking<K = string, M = string> extends EventEmitter<StructureEvents> {
  /** Most members each ranking keeps; `null` for no limit. */
  readonly maxSize: number | null
  readonly #base: StructureBase<K>
  readonly #members: KeyCodec<M>
  readonly #expireMs: number | null

  constructor(name: string, options?: FlipRankingOptions<K, M>) {
    super()
    const resolved = resolveRankingOptions(options)
    this.#base = new StructureBase('FlipRanking', name, resolved, this)
    this.#members = resolved.members
    this.maxSize = resolved.maxSize
    this.#expireMs = resolved.expireMs
  }

  /** The ranking's name: its keys are `name:key`. */
  get name(): string {
    return this.#base.name
  }

  /**
   * Adds `by` (a finite number, negative to subtract) to `member`'s score in ranking `key` (a new
   * member starts at 0), drops the lowest scores past `maxSize` and sets the expiry, in one atomic
   * step; resolves to the member's new score. With `maxSize`, a member whose new score is not
   * among the top `maxSize` is dropped at once: its score is returned, and forgotten.
   */
  increment(key: K, member: M, by = 1): Promise<number> {
    return this.#base.call(async () => {
      if (typeof by !== 'number' || !Number.isFinite(by)) {
        throw new TypeError(`Expected \`by\` to be a finite number, got ${describe(by)}`)
      }
      const redisKey = this.#base.redisKey(key)
      const encoded = this.#members.encode(member)
      // Without a trim or an expiry to go with it, ZINCRBY alone is the atomic step.
      const score =
        this.maxSize === null && this.#expireMs === null
          ? await this.#base.transport.command<ScoreReply>('ZINCRBY', [redisKey, by, encoded])
          : await incrementAndTrim.run<ScoreReply>(
              this.#base.transport,
              [redisKey],
              [encoded, by, this.maxSize ?? 0, this.#expireMs ?? 0],
            )
      return parseScore(score)
    })
  }

  /**
   * The `n` highest scores of ranking `key`, highest first, with their members (equal scores in
   * reverse member order, as Redis's ZREVRANGE); `[]` for a missing ranking. A stored member that
   * does not decode is left out and reported (`E_DECODE`).
   */
  top(key: K, n: number): Promise<Scored<M>[]> {
    return this.#base.call(async () => {
      if (!Number.isSafeInteger(n) || n < 1 || n > largestTop) {
        throw new TypeError(`Expected \`n\` to be an integer from 1 to ${largestTop}, got ${describe(n)}`)
      }
      const redisKey = this.#base.redisKey(key)
      const reply = await this.#read<unknown[]>(redisKey, 'ZRANGE', [0, n - 1, 'REV', 'WITHSCORES'], [])
      const scored: Scored<M>[] = []
      for (const [encoded, score] of scoredPairs(reply)) {
        const member = this.#decodeMember(redisKey, encoded)
        if (member !== undefined) scored.push({ member: member.value, score: parseScore(score) })
      }
      return scored
    })
  }

  /** `member`'s place in ranking `key`: 0 for the highest score; `undefined` when it is not there. */
  rank(key: K, member: M): Promise<number | undefined> {
    return this.#base.call(async () => {
      const args = [this.#members.encode(member)]
      const rank = await this.#read<number | null>(this.#base.redisKey(key), 'ZREVRANK', args, null)
      return rank ?? undefined
    })
  }

  /** `member`'s score in ranking `key`; `undefined` when it is not there. */
  score(key: K, member: M): Promise<number | undefined> {
    return this.#base.call(async () => {
      const args = [this.#members.encode(member)]
      const score = await this.#read<ScoreReply | null>(this.#base.redisKey(key), 'ZSCORE', args, null)
      return score === null ? undefined : parseScore(score)
    })
  }

  /** How many members ranking `key` holds (0 for a missing one). */
  size(key: K): Promise<number> {
    return this.#base.call(() => this.#read<number>(this.#base.redisKey(key), 'ZCARD', [], 0))
  }

  /** Removes `member` from ranking `key`; resolves to whether it was there. */
  remove(key: K, member: M): Promise<boolean> {
    return this.#base.call(async () => {
      const args = [this.#base.redisKey(key), this.#members.encode(member)]
      return (await this.#base.transport.command<number>('ZREM', args)) > 0
    })
  }

  /** Removes ranking `key`; resolves to whether it existed. */
  delete(key: K): Promise<boolean> {
    return this.#base.call(
      async () => (await this.#base.transport.command<number>('UNLINK', [this.#base.redisKey(key)])) > 0,
    )
  }

  /** Every key of the namespace once (SCAN, never KEYS); a Redis key that does not decode is skipped and reported. Rejects with `E_CLOSED` after close(). */
  keys(): AsyncGenerator<K, void, undefined> {
    return namespaceKeys(this.#base)
  }

  /** Removes every ranking of the namespace (SCAN + UNLINK in batches); resolves to how many were removed. */
  clear(): Promise<number> {
    return this.#base.call(() => clearNamespace(this.#base))
  }

  /** Rejects calls still waiting with `E_CLOSED` and closes a client the ranking opened itself. Idempotent. */
  close(): Promise<void> {
    return this.#base.close()
  }

  #read<T>(redisKey: string, command: string, args: (string | number)[], missing: T): Promise<T> {
    return readOfType(this.#base, 'a sorted set', { redisKey, command, args, missing })
  }

  #decodeMember(redisKey: string, encoded: string): { value: M } | undefined {
    try {
      return { value: this.#members.decode(encoded) }
    } catch (error) {
      this.#base.report(new DecodeError(redisKey, `the member ${describe(encoded)}`, { cause: error }), {
        operation: 'read',
      })
      return undefined
    }
  }
}
