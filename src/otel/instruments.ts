import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  ObservableCounter,
  ObservableGauge,
} from '@opentelemetry/api'
import { durationBuckets, metricNames } from './attributes.js'

/** Every instrument the instrumentation records to; created once per `instrumentFlipCache`. */
export interface Instruments {
  operationDuration: Histogram
  hits: ObservableCounter
  misses: ObservableCounter
  loads: Counter
  loadDuration: Histogram
  errors: Counter
  invalidationsSent: Counter
  invalidationsReceived: Counter
  invalidationDelay: Histogram
  localEvictions: Counter
  lockEvents: Counter
  localSize: ObservableGauge
  breakerOpen: ObservableGauge
}

export function createInstruments(meter: Meter): Instruments {
  const seconds = (description: string) => ({
    description,
    unit: 's',
    advice: { explicitBucketBoundaries: durationBuckets },
  })
  return {
    operationDuration: meter.createHistogram(
      metricNames.operationDuration,
      seconds('Duration of flipcache operations that reached Redis or a loader (not L1 hits)'),
    ),
    hits: meter.createObservableCounter(metricNames.hits, {
      description: 'Reads answered from a tier (flipcache.tier: l1 or l2), per key',
      unit: '{hit}',
    }),
    misses: meter.createObservableCounter(metricNames.misses, {
      description: 'Reads neither tier answered (a miss, or a getOrSet that called its loader), per key',
      unit: '{miss}',
    }),
    loads: meter.createCounter(metricNames.loads, {
      description: 'Loader runs (getOrSet, getOrSetMany, wrap; background refreshes included)',
      unit: '{load}',
    }),
    loadDuration: meter.createHistogram(metricNames.loadDuration, seconds('Duration of loader runs')),
    errors: meter.createCounter(metricNames.errors, {
      description: "Failures a cache reported (its 'error' event), by error.type",
      unit: '{error}',
    }),
    invalidationsSent: meter.createCounter(metricNames.invalidationsSent, {
      description: 'Invalidation messages this process published to the other instances',
      unit: '{message}',
    }),
    invalidationsReceived: meter.createCounter(metricNames.invalidationsReceived, {
      description: 'Invalidation messages (or Redis tracking notices) that reached this process',
      unit: '{message}',
    }),
    invalidationDelay: meter.createHistogram(
      metricNames.invalidationDelay,
      seconds("From an invalidation's publish by the sender to its receipt here (by the two clocks)"),
    ),
    localEvictions: meter.createCounter(metricNames.localEvictions, {
      description: 'Entries L1 dropped to stay within localMax (not expiry, not invalidation)',
      unit: '{entry}',
    }),
    lockEvents: meter.createCounter(metricNames.lockEvents, {
      description: 'Read-through lock events (flipcache.lock.event: acquired, released, lost)',
      unit: '{event}',
    }),
    localSize: meter.createObservableGauge(metricNames.localSize, {
      description: 'Entries in L1 now, for each cache given to instrumentFlipCache (caches, observe)',
      unit: '{entry}',
    }),
    breakerOpen: meter.createObservableGauge(metricNames.breakerOpen, {
      description: 'Whether the circuit breaker holds Redis (a Cluster node) down: 1 open, 0 closed',
      unit: '1',
    }),
  }
}

/**
 * Attribute sets by a string key, made once: the read path records a hit with the same few
 * attribute objects over and over instead of allocating one per call.
 */
export class AttributeSets {
  readonly #sets = new Map<string, Attributes>()

  get(key: string, make: () => Attributes): Attributes {
    let set = this.#sets.get(key)
    if (set === undefined) {
      set = Object.freeze(make())
      // Bounded, should an application make caches by the thousand: past the cap, a set per call.
      if (this.#sets.size < maxAttributeSets) this.#sets.set(key, set)
    }
    return set
  }
}

const maxAttributeSets = 4096
