import type { Attributes, ObservableResult } from '@opentelemetry/api'
import type {
  BreakerChange,
  ErrorEvent,
  InvalidationReceived,
  InvalidationSent,
  LocalEviction,
  LockEvent,
} from '../observe/channels.js'
import {
  CACHE,
  ERROR_TYPE,
  errorType,
  INVALIDATION_KIND,
  LOCK_EVENT,
  SERVER_ADDRESS,
  SERVER_PORT,
} from './attributes.js'
import { AttributeSets, type Instruments } from './instruments.js'
import type { OperationTracker } from './operations.js'

/** A cache whose L1 size `flipcache.l1.size` reports: a `FlipCache` (structurally, so nothing of it is imported). */
export interface ObservedCache {
  readonly name: string
  stats(): { localSize: number }
}

/** Subscribers of the plain channels, and the two gauges' callbacks. */
export class Signals {
  readonly #attributes = new AttributeSets()
  readonly #instruments: Instruments
  readonly #operations: OperationTracker
  /** The last state of each breaker: 1 down (open), 0 up, by cache and node. */
  readonly #breakers = new Map<string, { attributes: Attributes; open: number }>()
  /** Weakly held, so that observing a cache never keeps it alive. */
  readonly #caches = new Set<WeakRef<ObservedCache>>()

  constructor(instruments: Instruments, operations: OperationTracker) {
    this.#instruments = instruments
    this.#operations = operations
  }

  observe(cache: ObservedCache): void {
    this.#caches.add(new WeakRef(cache))
  }

  readonly invalidationSent = (message: unknown): void => {
    const { cache, kind } = message as InvalidationSent
    this.#instruments.invalidationsSent.add(1, this.#byKind(cache, kind))
  }

  readonly invalidationReceived = (message: unknown): void => {
    const { cache, kind, delayMs } = message as InvalidationReceived
    const attributes = this.#byKind(cache, kind)
    this.#instruments.invalidationsReceived.add(1, attributes)
    // Two machines' clocks: a receipt "before" its publish is skew, recorded as no delay.
    if (delayMs !== undefined && Number.isFinite(delayMs))
      this.#instruments.invalidationDelay.record(Math.max(0, delayMs) / 1000, attributes)
  }

  readonly breaker = (message: unknown): void => {
    const { cache, node, status } = message as BreakerChange
    const key = `${cache}\0${node ?? ''}`
    const known = this.#breakers.get(key)
    const open = status === 'down' ? 1 : 0
    if (known !== undefined) known.open = open
    else this.#breakers.set(key, { attributes: breakerAttributes(cache, node), open })
  }

  readonly lock = (message: unknown): void => {
    const { cache, key, event } = message as LockEvent
    this.#instruments.lockEvents.add(
      1,
      this.#attributes.get(`l\0${cache}\0${event}`, () => ({ [CACHE]: cache, [LOCK_EVENT]: event })),
    )
    // A lock is taken on the way to a loader: the getOrSet's span shows when.
    const running = this.#operations.running(cache, key)
    if (running !== undefined) this.#operations.spanOf(running).addEvent(`flipcache.lock.${event}`)
  }

  readonly localEviction = (message: unknown): void => {
    const { cache } = message as LocalEviction
    this.#instruments.localEvictions.add(1, this.#byCache(cache))
  }

  readonly error = (message: unknown): void => {
    const { cache, error } = message as ErrorEvent
    const type = errorType(error)
    this.#instruments.errors.add(
      1,
      this.#attributes.get(`e\0${cache}\0${type}`, () => ({ [CACHE]: cache, [ERROR_TYPE]: type })),
    )
  }

  readonly observeLocalSizes = (result: ObservableResult): void => {
    for (const ref of this.#caches) {
      const cache = ref.deref()
      if (cache === undefined) {
        this.#caches.delete(ref)
        continue
      }
      let size: number
      try {
        size = cache.stats().localSize
      } catch {
        continue
      }
      result.observe(size, this.#byCache(cache.name))
    }
  }

  readonly observeBreakers = (result: ObservableResult): void => {
    for (const { attributes, open } of this.#breakers.values()) result.observe(open, attributes)
  }

  #byCache(cache: string): Attributes {
    return this.#attributes.get(`c\0${cache}`, () => ({ [CACHE]: cache }))
  }

  #byKind(cache: string, kind: string): Attributes {
    return this.#attributes.get(`k\0${cache}\0${kind}`, () => ({ [CACHE]: cache, [INVALIDATION_KIND]: kind }))
  }
}

/** A Cluster node's `host:port` as `server.address` and `server.port`. */
function breakerAttributes(cache: string, node: string | undefined): Attributes {
  const attributes: Attributes = { [CACHE]: cache }
  if (node === undefined) return attributes
  const colon = node.lastIndexOf(':')
  const port = Number(node.slice(colon + 1))
  if (colon > 0 && Number.isInteger(port)) {
    attributes[SERVER_ADDRESS] = node.slice(0, colon)
    attributes[SERVER_PORT] = port
  } else attributes[SERVER_ADDRESS] = node
  return attributes
}
