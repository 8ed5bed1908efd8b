import { describe } from '../errors.js'
import type { Duration } from '../expire/duration.js'
import { positiveDuration } from '../expire/option-values.js'
import { booleanOption, sizeOption } from '../option-checks.js'
import type { FlushChanges } from '../write-behind/drain-step.js'

/**
 * The `writeThrough` option: how `set`, `setMany`, `delete` and `deleteMany` write the source of
 * truth. Any object with these two methods (a repository of yours): they are called as its methods.
 */
export interface WriteThroughOption<K, V> {
  /** Writes entries to the source of truth; the cache takes them only once it resolves. */
  write: (entries: [key: K, value: V][]) => Promise<void> | void
  /** Deletes keys from the source of truth; the cache removes them only once it resolves. */
  delete: (keys: K[]) => Promise<void> | void
}

/** The `writeBehind` option: the durable queue and how its drainer hands changes to the source of truth. */
export interface WriteBehindOption<K, V> {
  /**
   * Writes a batch of changes (the latest per key, in queue order) to the source of truth. Its
   * entries leave the queue only once it resolves; on a rejection the batch is tried again.
   */
  flush: FlushChanges<K, V>
  /** Most queue entries one batch takes (at most 1000). @default 100 */
  batchSize?: number
  /** How often the drainer looks for new entries: ms or a duration. @default '1s' */
  pollInterval?: number | Duration
  /**
   * Most entries the queue and its dead letters hold together; a write past it is refused with
   * `E_QUEUE_FULL` (nothing written). @default 100000
   */
  maxQueued?: number
  /**
   * How long the entries of a drainer that stopped (a crash) wait before another instance takes them
   * over; also the drain lease's time to live. Longer than your slowest flush. @default '30s'
   */
  claimAfter?: number | Duration
  /** Attempts of a batch before it goes to the dead-letter stream (`E_DEAD_LETTER`). @default 5 */
  maxAttempts?: number
  /** The wait before a failed batch's second attempt, doubled for each later one (at most 1 min). @default '1s' */
  retryDelay?: number | Duration
  /** How long `close()` (and `flushNow()` without an argument) keeps draining. @default '5s' */
  drainTimeout?: number | Duration
  /** Whether this instance drains the queue; `false` for instances that only write. @default true */
  drain?: boolean
}

/** `writeBehind` after validation, durations in ms. */
export interface ResolvedWriteBehind<K, V> {
  flush: FlushChanges<K, V>
  batchSize: number
  pollMs: number
  maxQueued: number
  claimAfterMs: number
  maxAttempts: number
  retryDelayMs: number
  drainTimeoutMs: number
  drain: boolean
}

/** How writes reach the source of truth: not at all (a plain cache), through it, or behind it. */
export type WritePolicy<K, V> =
  | { kind: 'cache-only' }
  | { kind: 'through'; source: WriteThroughOption<K, V> }
  | { kind: 'behind'; settings: ResolvedWriteBehind<K, V> }

const behindFields = [
  'flush',
  'batchSize',
  'pollInterval',
  'maxQueued',
  'claimAfter',
  'maxAttempts',
  'retryDelay',
  'drainTimeout',
  'drain',
]

/** Validates `writeThrough` and `writeBehind` (at most one of them), quoting a bad value in a `TypeError`. */
export function resolveWritePolicy<K, V>(
  writeThrough: unknown,
  writeBehind: unknown,
  hashStorage: boolean,
): WritePolicy<K, V> {
  if (writeThrough !== undefined && writeBehind !== undefined) {
    throw new TypeError('Expected at most one of `writeThrough` and `writeBehind`, got both')
  }
  if (writeThrough !== undefined) return { kind: 'through', source: resolveThrough(writeThrough) }
  if (writeBehind === undefined) return { kind: 'cache-only' }
  if (hashStorage) {
    throw new TypeError(
      "`writeBehind` needs `storage: 'string'`: its script writes one Redis string per entry",
    )
  }
  return { kind: 'behind', settings: resolveBehind(writeBehind) }
}

/** Any object with `write` and `delete` (a repository, say: they are called as its methods). */
function resolveThrough<K, V>(option: unknown): WriteThroughOption<K, V> {
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(
      `Expected \`writeThrough\` to be an object with write and delete, got ${describe(option)}`,
    )
  }
  const fields = option as Record<string, unknown>
  for (const name of ['write', 'delete']) {
    if (typeof fields[name] !== 'function') {
      throw new TypeError(`Expected \`writeThrough.${name}\` to be a function, got ${describe(fields[name])}`)
    }
  }
  return option as WriteThroughOption<K, V>
}

function resolveBehind<K, V>(option: unknown): ResolvedWriteBehind<K, V> {
  const fields = objectOption('writeBehind', option, behindFields)
  if (typeof fields.flush !== 'function') {
    throw new TypeError(`Expected \`writeBehind.flush\` to be a function, got ${describe(fields.flush)}`)
  }
  const duration = (name: string, fallback: number): number =>
    fields[name] === undefined ? fallback : positiveDuration(`writeBehind.${name}`, fields[name])
  return {
    flush: fields.flush as FlushChanges<K, V>,
    batchSize: sizeOption('writeBehind.batchSize', fields.batchSize, 100, 1000),
    pollMs: duration('pollInterval', 1000),
    maxQueued: sizeOption('writeBehind.maxQueued', fields.maxQueued, 100_000, 2 ** 31),
    claimAfterMs: duration('claimAfter', 30_000),
    maxAttempts: sizeOption('writeBehind.maxAttempts', fields.maxAttempts, 5, 1000),
    retryDelayMs: duration('retryDelay', 1000),
    drainTimeoutMs: duration('drainTimeout', 5000),
    drain: booleanOption('writeBehind.drain', fields.drain, true),
  }
}

function objectOption(name: string, option: unknown, known: string[]): Record<string, unknown> {
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw new TypeError(`Expected \`${name}\` to be an object, got ${describe(option)}`)
  }
  for (const field of Object.keys(option)) {
    if (!known.includes(field)) {
      throw new TypeError(`Unknown \`${name}\` field \`${field}\`; known fields: ${known.join(', ')}`)
    }
  }
  return option as Record<string, unknown>
}
