import {
  type BreakerChange,
  breakerChannel,
  type InvalidationReceived,
  type InvalidationSent,
  invalidationReceivedChannel,
  invalidationSentChannel,
  type LockEvent,
  localEvictionChannel,
  lockChannel,
} from './channels.js'

// The plain channels' publishers: each asks `hasSubscribers` first, so that nobody listening costs
// one check and no object.

/** This instance told the others of `count` keys (or tags) in one message. */
export function tellSent(cache: string, kind: InvalidationSent['kind'], count: number): void {
  if (invalidationSentChannel.hasSubscribers) invalidationSentChannel.publish({ cache, kind, count })
}

/** A message (or tracking) invalidated `count` keys here; `sentAt` is the message's send time, if it says. */
export function tellReceived(
  cache: string,
  kind: InvalidationReceived['kind'],
  count: number,
  sentAt: unknown,
): void {
  if (!invalidationReceivedChannel.hasSubscribers) return
  const delayMs =
    typeof sentAt === 'number' && Number.isFinite(sentAt) ? Math.max(0, Date.now() - sentAt) : undefined
  invalidationReceivedChannel.publish({ cache, kind, count, delayMs } satisfies InvalidationReceived)
}

/** A breaker marked Redis (a node) down or up. */
export function tellBreaker(
  cache: string,
  change: { status: 'down' | 'up'; node?: string; error?: Error },
): void {
  if (!breakerChannel.hasSubscribers) return
  const { status, node, error } = change
  breakerChannel.publish({ cache, status, node, error } satisfies BreakerChange)
}

/** A read-through lock of `key` was acquired, released, or found lost. */
export function tellLock(cache: string, key: string, event: LockEvent['event']): void {
  if (lockChannel.hasSubscribers) lockChannel.publish({ cache, key, event } satisfies LockEvent)
}

/** L1 dropped `key` for room. */
export function tellEvicted(cache: string, key: string): void {
  if (localEvictionChannel.hasSubscribers) localEvictionChannel.publish({ cache, key })
}
