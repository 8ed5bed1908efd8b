import diagnostics from 'node:diagnostics_channel'

/**
 * flipcache's `node:diagnostics_channel` channels: what an APM, the OpenTelemetry instrumentation
 * (`flipcache-redis/otel`) or a test subscribes to. Every name here is public and documented in
 * docs/observability.md; publishing costs one `hasSubscribers` check when nobody listens.
 */

/** The public operations traced, each by a `TracingChannel` named `flipcache:<operation>`. */
export const tracedOperations = [
  'get',
  'getMany',
  'set',
  'setMany',
  'delete',
  'deleteMany',
  'getOrSet',
  'getOrSetMany',
  'clear',
  'invalidateTags',
] as const
export type TracedOperation = (typeof tracedOperations)[number]

/** Which tier answered a read: L1, Redis, the loader (getOrSet), or none (a miss). */
export type Tier = 'l1' | 'l2' | 'loader' | 'miss'

/**
 * The context of one traced operation, as a TracingChannel's `start`, `end`, `asyncStart`,
 * `asyncEnd` and `error` subscribers receive it (the same object throughout the call).
 */
export interface OperationContext {
  /** The cache's name (its namespace). */
  readonly cache: string
  readonly operation: TracedOperation
  /** The key, encoded as in Redis after the namespace (single-key operations). */
  readonly key?: string
  /** How many keys the call names (multi-key operations; tags for invalidateTags). */
  readonly keyCount?: number
  /** Which tier answered (single-key reads); set by the time `asyncStart` or `end` is published. */
  tier?: Tier
  /** How many keys each tier answered (getMany, getOrSetMany). */
  tiers?: Record<Tier, number>
  /** getOrSet / getOrSetMany served a stale value (within grace, or as the loader's fallback). */
  stale?: boolean
  /** The call's outcome: set by the channel (`tracePromise`) before `asyncStart`. */
  result?: unknown
  /** The call's failure: set by the channel before `error` is published. */
  error?: unknown
}

/** The context of one loader run (`flipcache:load`): inside getOrSet / getOrSetMany / wrap. */
export interface LoadContext {
  readonly cache: string
  /** The key loaded (getOrSet), or the first of a batch. */
  readonly key: string
  /** How many keys the loader was asked for (1 for getOrSet). */
  readonly keyCount: number
  /**
   * Whether a value was in hand when this run started (a stale one within grace, or a fresh one past
   * refreshAhead's point): the run refreshes it, and the caller may have been served already.
   */
  readonly background: boolean
  result?: unknown
  error?: unknown
}

/** `flipcache:invalidation:sent`: this instance told the others (one message may carry many keys). */
export interface InvalidationSent {
  readonly cache: string
  /** `write`: keys written or deleted; `clear`: the namespace; `tags`: tags invalidated. */
  readonly kind: 'write' | 'clear' | 'tags'
  /** How many keys or tags the message names (0 for `clear`). */
  readonly count: number
}

/** `flipcache:invalidation:received`: another instance, or Redis tracking, invalidated L1 copies. */
export interface InvalidationReceived {
  readonly cache: string
  readonly kind: 'write' | 'clear' | 'tags' | 'tracking'
  readonly count: number
  /**
   * Milliseconds from the sender's publish to this receipt (by the two machines' clocks), when the
   * message says when it was sent; `undefined` otherwise (tracking, older senders).
   */
  readonly delayMs: number | undefined
}

/** `flipcache:breaker`: a circuit breaker marked Redis (a Cluster node) down or up again. */
export interface BreakerChange {
  readonly cache: string
  readonly status: 'down' | 'up'
  /** `host:port` of the node, on a Cluster. */
  readonly node: string | undefined
  readonly error: Error | undefined
}

/** `flipcache:lock`: a read-through lock was acquired, released, or lost while held. */
export interface LockEvent {
  readonly cache: string
  readonly key: string
  readonly event: 'acquired' | 'released' | 'lost'
}

/** `flipcache:l1:evict`: L1 dropped an entry to stay within `localMaxSize` (not expiry, not invalidation). */
export interface LocalEviction {
  readonly cache: string
  readonly key: string
}

/** `flipcache:error`: a failure the cache reported (the 'error' event's, and the logger's). */
export interface ErrorEvent {
  readonly cache: string
  readonly error: Error & { code?: string }
}

/** The plain channels' names. */
export const channelNames = {
  invalidationSent: 'flipcache:invalidation:sent',
  invalidationReceived: 'flipcache:invalidation:received',
  breaker: 'flipcache:breaker',
  lock: 'flipcache:lock',
  localEviction: 'flipcache:l1:evict',
  error: 'flipcache:error',
} as const

/** The TracingChannel of every traced operation, by operation. */
export type OperationChannels = {
  [O in TracedOperation]: diagnostics.TracingChannel<unknown, OperationContext>
}

/** The name of the TracingChannel of `operation` (its events are `tracing:<name>:start` and so on). */
export function operationChannelName(operation: TracedOperation): string {
  return `flipcache:${operation}`
}

/** The name of the loader runs' TracingChannel. */
export const loadChannelName = 'flipcache:load'

export const operationChannels = Object.fromEntries(
  tracedOperations.map((operation) => [
    operation,
    diagnostics.tracingChannel(operationChannelName(operation)),
  ]),
) as OperationChannels

export const loadChannel = diagnostics.tracingChannel<unknown, LoadContext>(loadChannelName)

export const invalidationSentChannel = diagnostics.channel(channelNames.invalidationSent)
export const invalidationReceivedChannel = diagnostics.channel(channelNames.invalidationReceived)
export const breakerChannel = diagnostics.channel(channelNames.breaker)
export const lockChannel = diagnostics.channel(channelNames.lock)
export const localEvictionChannel = diagnostics.channel(channelNames.localEviction)
export const errorChannel = diagnostics.channel(channelNames.error)
