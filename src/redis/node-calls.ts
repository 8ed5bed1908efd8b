import type { Redis } from 'ioredis'
import * as clock from '../clock.js'
import { RedisTimeoutError, RedisUnavailableError } from '../errors.js'
import { within } from '../within.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import { type RedisClient, whenReady } from './connection.js'
import type { SlotRouter } from './slot-router.js'
import { type Arg, isReplyError, wrapRedisError } from './steps.js'

/**
 * The masters to visit for a namespace scan, once the Cluster knows them (waiting at most
 * `timeoutMs` for it to be ready); `undefined` for a single node, where the transport's own
 * commands reach the only one.
 */
export async function mastersOf(
  client: RedisClient,
  router: SlotRouter | undefined,
  timeoutMs: number,
): Promise<Redis[] | undefined> {
  if (router === undefined) return undefined
  if (client.status === 'end') {
    throw new RedisUnavailableError('The Redis connection is closed (client status `end`)')
  }
  if (client.status !== 'ready') {
    const ready = await within(
      whenReady(client).then(() => true),
      timeoutMs,
      () => false,
    )
    if (!ready) {
      throw new RedisUnavailableError(
        `Redis is unreachable: the cluster was not ready within ${timeoutMs} ms (client status \`${client.status}\`)`,
      )
    }
  }
  const masters = router.masters()
  if (masters.length === 0) throw new RedisUnavailableError('The cluster client knows no master node')
  return masters
}

/**
 * Runs one command on one node (a Cluster master's SCAN), bounded by `timeoutMs` like any other,
 * and counted by the node's circuit breaker.
 */
export async function callOnNode<T>(
  node: Redis,
  name: string,
  args: Arg[],
  timeoutMs: number,
  breaker: CircuitBreaker | undefined,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedisTimeoutError(timeoutMs, `${name} on ${nodeName(node)}`, nodeName(node))),
      timeoutMs,
    )
  })
  const admission = breaker?.admit(clock.now()) ?? 'send'
  if (admission === 'refuse') {
    throw new RedisUnavailableError(
      `Redis node ${nodeName(node)} is marked down after repeated failures; the next probe is in ${breaker?.probeIn(clock.now())} ms`,
      { server: nodeName(node) },
    )
  }
  try {
    const result = (await Promise.race([node.call(name, args), timedOut])) as T
    breaker?.succeeded()
    return result
  } catch (error) {
    const failure = wrapRedisError(error as Error, name)
    if (isReplyError(error)) breaker?.succeeded()
    else breaker?.failed(failure, clock.now(), admission === 'probe')
    throw failure
  } finally {
    clearTimeout(timer)
  }
}

/** A node as the breakers and the slot table name it: `host:port`. */
export function nodeName(node: Redis): string {
  return `${node.options.host}:${node.options.port}`
}
