import { describe, expect, it } from 'vitest'
import { countCommands } from '../support/command-stats.js'
import { useCounters } from '../support/counter-builder.js'
import { useOwnServer } from '../support/own-server.js'
import { countRoundTrips } from '../support/round-trip-counter.js'

// Command counts are server-wide: this file runs on a server of its own.
const own = useOwnServer()
const { counter, sharedClient } = useCounters(() => own.server.url)

describe('FlipCounter round trips', () => {
  it('increment() of a live counter is one EVAL (increment, expiry and change record together)', async () => {
    const views = counter({ expireTime: '100s', persist: async () => {}, persistInterval: '1m' })
    await views.increment('a')
    const trips = countRoundTrips(sharedClient())
    // INFO commandstats counts the commands a script runs too: one EVAL and what ran inside it.
    const ran = await countCommands(own.admin, () => views.increment('a'))
    expect(ran).toMatchObject({ eval: 1, hincrby: 1, pexpire: 1, sadd: 1 })
    expect(trips.count).toBe(1)
  })

  it('increments and a getMany() of one tick leave in one round trip, one EVAL each', async () => {
    const views = counter({ expireTime: '100s' })
    const keys = Array.from({ length: 20 }, (_, index) => `k${index}`)
    await Promise.all(keys.map((key) => views.increment(key)))
    const trips = countRoundTrips(sharedClient())
    const ran = await countCommands(own.admin, () =>
      Promise.all([...keys.map((key) => views.increment(key, 2)), views.getMany(keys)]),
    )
    expect(ran).toMatchObject({ eval: 40, hincrby: 20, pexpire: 20 })
    expect(trips.count).toBe(1)
    expect(await views.getMany(keys)).toEqual(keys.map(() => 3))
  })

  it("the article's version spends two commands per increment: INCR and EXPIRE", async () => {
    const redis = sharedClient()
    const ran = await countCommands(own.admin, () =>
      redis.multi().incr('jobs:1:views').expire('jobs:1:views', 100).exec(),
    )
    expect(ran).toMatchObject({ incr: 1, expire: 1 })
  })
})
