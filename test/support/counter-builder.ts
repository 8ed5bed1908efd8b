import { afterEach, inject } from 'vitest'
import { FlipCounter, type FlipCounterOptions } from '../../src/index.js'
import { uniqueName, useCaches } from './cache-builder.js'

/**
 * Builds FlipCounters on the run's redis-server (or on `url`), each on the test's shared client
 * unless `redis` is given, and closes every one of them (then their clients) after each test.
 */
export function useCounters(url: () => string = () => inject('redisUrl')) {
  const { client, sharedClient } = useCaches(url)
  const counters: FlipCounter<never>[] = []
  // Registered after useCaches' hook, so it runs first: counters close before their clients.
  afterEach(async () => {
    await Promise.all(counters.splice(0).map((counter) => counter.close()))
  })
  return {
    client,
    sharedClient,
    /** A counter on its own namespace (or `name`). */
    counter<K = string>(options: FlipCounterOptions<K> = {}, name = uniqueName('counter')): FlipCounter<K> {
      const counter = new FlipCounter<K>(name, { redis: sharedClient(), ...options })
      counters.push(counter as unknown as FlipCounter<never>)
      return counter
    },
  }
}
