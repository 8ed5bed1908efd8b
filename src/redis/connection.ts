import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import { describe } from '../errors.js'
import { acceptedRedisInputs, foreignObjectKind, ioredisKeyPrefix, keyPrefixError } from './input-kind.js'

/** The client flipcache talks to: a single ioredis connection or a Cluster. */
export type RedisClient = Redis | Cluster

/** What flipcache needs to open a Redis Cluster client of its own: the startup nodes, and ioredis's Cluster options. */
export interface ClusterInput extends ClusterOptions {
  cluster: ClusterNode[]
}

/** The `redis` option: a client you own and share, or what flipcache needs to open (and later close) its own. */
export type RedisInput = Redis | Cluster | string | RedisOptions | ClusterInput

/** The client a cache talks to, and whether the cache opened it (and so must close it). */
export interface Connection {
  client: RedisClient
  owned: boolean
}

/** Duck-typed, so that a client from another copy of ioredis is accepted too. */
export function isRedisClient(value: unknown): value is RedisClient {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<Record<'pipeline' | 'call' | 'status', unknown>>
  return (
    typeof candidate.pipeline === 'function' &&
    typeof candidate.call === 'function' &&
    typeof candidate.status === 'string'
  )
}

const redisUrl = /^rediss?:\/\//

/** Throws a `TypeError` for a `redis` option that is neither a client, a redis:// URL, nor ioredis options. */
export function checkRedisInput(input: unknown): asserts input is RedisInput | undefined {
  if (input === undefined) return
  if (isRedisClient(input)) {
    const prefix = ioredisKeyPrefix(input)
    if (prefix !== undefined) throw keyPrefixError(prefix)
    return
  }
  if (typeof input === 'string' && redisUrl.test(input)) return
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const foreign = foreignObjectKind(input)
    if (foreign !== undefined)
      throw new TypeError(`Expected \`redis\` to be ${acceptedRedisInputs}, got ${foreign}`)
    const prefix = ioredisKeyPrefix(input)
    if (prefix !== undefined) throw keyPrefixError(prefix)
    if (!('cluster' in input)) return
    const nodes = (input as { cluster: unknown }).cluster
    if (Array.isArray(nodes) && nodes.length > 0) return
    throw new TypeError(
      `Expected \`redis.cluster\` to be a non-empty array of startup nodes ({ host, port }, a port or a URL), got ${describe(nodes)}`,
    )
  }
  throw new TypeError(`Expected \`redis\` to be ${acceptedRedisInputs}, got ${describe(input)}`)
}

/** Uses the client given, or opens one for a URL / options / `REDIS_URL` / `redis://127.0.0.1:6379`. */
export function connect(input: RedisInput | undefined): Connection {
  if (isRedisClient(input)) return { client: input, owned: false }
  // flipcache pipelines every tick itself, so ioredis's own auto-pipelining would only add a hop.
  if (typeof input === 'object' && 'cluster' in input) {
    const { cluster: nodes, ...options } = input
    return { client: new Cluster(nodes, { ...options, enableAutoPipelining: false }), owned: true }
  }
  if (typeof input === 'object')
    return { client: new Redis({ ...input, enableAutoPipelining: false }), owned: true }
  const url = input ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  return { client: new Redis(url, { enableAutoPipelining: false }), owned: true }
}

const readiness = new WeakMap<RedisClient, Promise<void>>()

/**
 * Resolves when `client` is next ready; one promise and one listener per client, however many
 * caches share it and wait. Starts the connection of a `lazyConnect` client that never connected.
 */
export function whenReady(client: RedisClient): Promise<void> {
  let ready = readiness.get(client)
  if (ready === undefined) {
    ready = new Promise<void>((resolve) => {
      client.once('ready', () => {
        readiness.delete(client)
        resolve()
      })
    })
    readiness.set(client, ready)
    if (client.status === 'wait') client.connect().catch(() => {})
  }
  return ready
}

const failures = new WeakMap<RedisClient, Promise<void>>()

/**
 * Resolves as soon as `client` is known not to reach Redis: now, if a connection attempt already
 * failed, else at its next 'close'. One promise and one listener per client.
 */
export function whenUnreachable(client: RedisClient): Promise<void> {
  if (client.status === 'reconnecting' || client.status === 'end' || client.status === 'close') {
    return Promise.resolve()
  }
  let failed = failures.get(client)
  if (failed === undefined) {
    failed = new Promise<void>((resolve) => {
      client.once('close', () => {
        failures.delete(client)
        resolve()
      })
    })
    failures.set(client, failed)
  }
  return failed
}

/** Closes a client flipcache opened: QUIT, or a hard disconnect when Redis does not answer in time. */
export async function disconnect(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  const quit =
    client.status === 'ready'
      ? client.quit().then(
          () => 'quit' as const,
          () => 'failed' as const,
        )
      : 'not-ready'
  const outcome = await Promise.race([quit, timedOut])
  clearTimeout(timer)
  if (outcome !== 'quit') client.disconnect()
}
