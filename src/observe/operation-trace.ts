import { type OperationContext, operationChannels, type Tier, type TracedOperation } from './channels.js'

/** The channels the facade asks `hasSubscribers` of before each call: untraced calls build nothing. */
export const traces = operationChannels

/**
 * Runs `call` traced on `operation`'s channel: `start`, then `end`, then `asyncStart` / `asyncEnd`
 * or `error`, each given `context`, which `call` fills in as it learns (the tier that answered).
 */
export function traceOperation<T>(
  operation: TracedOperation,
  context: OperationContext,
  call: (seen: OperationContext) => Promise<T>,
): Promise<T> {
  return traces[operation].tracePromise(call, context, undefined, context)
}

/**
 * `call` traced on `operation`'s channel, its context naming `cache` and `key` as encoded (or no key,
 * when it does not encode: the call then rejects with the key's TypeError, traced as its error).
 */
export function traceKey<K, T>(
  operation: TracedOperation,
  cache: string,
  key: K,
  encode: (key: K) => string,
  call: (seen: OperationContext) => Promise<T>,
): Promise<T> {
  let encoded: string | undefined
  try {
    encoded = encode(key)
  } catch {
    encoded = undefined
  }
  return traceOperation(operation, { cache, operation, key: encoded }, call)
}

/** `call` traced on `operation`'s channel, its context naming `cache` and how many keys the call has. */
export function traceKeys<T>(
  operation: TracedOperation,
  cache: string,
  keyCount: number,
  call: (seen: OperationContext) => Promise<T>,
): Promise<T> {
  return traceOperation(operation, { cache, operation, keyCount }, call)
}

/** The counts of a multi-key read, each tier at 0. */
export function noTiers(): Record<Tier, number> {
  return { l1: 0, l2: 0, loader: 0, miss: 0 }
}
