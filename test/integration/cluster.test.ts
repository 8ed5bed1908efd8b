import calculateSlot from 'cluster-key-slot'
import { Cluster, Redis } from 'ioredis'
import { describe, expect, it, vi } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { uniqueName, useClusterCaches } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { useOwnCluster } from '../support/own-cluster.js'
import { patience } from '../support/patience.js'
import { freePort } from '../support/redis-server.js'

// A cluster of this file's own: command counts are per server, and these tests read them.
const own = useOwnCluster()

/** The commands each master ran during `work` (handshakes left out), in master order. */
async function perMaster(work: () => Promise<unknown>): Promise<Record<string, number>[]> {
  const counts: Record<string, number>[] = own.masters.map(() => ({}))
  let finish!: () => void
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  let started = 0
  let allStarted!: () => void
  const ready = new Promise<void>((resolve) => {
    allStarted = resolve
  })
  const counting = own.masters.map((master, index) =>
    countCommands(master, async () => {
      if (++started === own.masters.length) allStarted()
      await done
    }).then((delta) => {
      counts[index] = delta
    }),
  )
  await ready
  try {
    await work()
  } finally {
    finish()
    await Promise.all(counting)
  }
  return counts
}

const total = (counts: Record<string, number>[], command: string): number =>
  counts.reduce((sum, count) => sum + (count[command] ?? 0), 0)

/** How many keys of `prefix` each master holds. */
async function keysPerMaster(prefix: string): Promise<number[]> {
  return (await own.keysOnMasters(`${prefix}*`)).map((keys) => keys.length)
}

/** Counts the pipelines and direct calls a Cluster client sends. */
function countRoundTrips(client: Cluster): { readonly count: number } {
  const counter = { count: 0 }
  for (const method of ['call', 'callBuffer', 'pipeline'] as const) {
    const original = (client[method] as (...args: unknown[]) => unknown).bind(client)
    ;(client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      counter.count++
      return original(...args)
    }
  }
  return counter
}

describe('FlipCache on a Redis Cluster', () => {
  const { cache, client } = useClusterCaches(() => own.cluster.startupNodes)

  it("spreads a cache's keys over every master, or puts them in one slot with hashTag", async () => {
    const spread = cache<number, number>({ keyType: 'int', valueType: 'int' })
    const tagged = cache<number, number>({ keyType: 'int', valueType: 'int', hashTag: true })
    const entries = Array.from({ length: 300 }, (_, index): [number, number] => [index, index])
    await Promise.all([spread.setMany(entries), tagged.setMany(entries)])
    const held = await keysPerMaster(`${spread.name}:`)
    expect(held.reduce((sum, count) => sum + count, 0)).toBe(300)
    for (const count of held) expect(count).toBeGreaterThan(50)

    const taggedHeld = await keysPerMaster(`{${tagged.name}}:`)
    expect(taggedHeld.sort((a, b) => a - b)).toEqual([0, 0, 300])
    const slots = await Promise.all(
      [0, 150, 299].map((key) => own.masters[0]?.call('CLUSTER', 'KEYSLOT', `{${tagged.name}}:${key}`)),
    )
    expect(new Set(slots).size).toBe(1)
    expect(await tagged.getMany([0, 150, 299])).toEqual([0, 150, 299])
  })

  it('getMany() sends one command per slot, one pipeline per master, all in parallel; never CROSSSLOT', async () => {
    const redis = client()
    const items = cache<number, number>({ redis, keyType: 'int', valueType: 'int', localMax: 0 })
    const keys = Array.from({ length: 100 }, (_, index) => index)
    await items.setMany(keys.map((key) => [key, key * 2]))
    const slots = new Set(keys.map((key) => calculateSlot(`${items.name}:${key}`)))
    const trips = countRoundTrips(redis)
    const counts = await perMaster(async () => {
      expect(await items.getMany(keys)).toEqual(keys.map((key) => key * 2))
    })
    expect(total(counts, 'get') + total(counts, 'mget')).toBe(slots.size)
    for (const count of counts) expect((count.get ?? 0) + (count.mget ?? 0)).toBeGreaterThan(0)
    expect(trips.count).toBe(own.masters.length)
  })

  it('with hashTag, getMany() is one MGET and deleteMany() one UNLINK', async () => {
    const items = cache<number, number>({ keyType: 'int', valueType: 'int', localMax: 0, hashTag: true })
    const keys = Array.from({ length: 100 }, (_, index) => index)
    await items.setMany(
      keys.map((key) => [key, key]),
      { expireTime: null },
    )
    const reads = await perMaster(() => items.getMany(keys))
    expect(reads.filter((count) => Object.keys(count).length > 0)).toEqual([{ mget: 1 }])
    const deletes = await perMaster(async () => expect(await items.deleteMany(keys)).toBe(100))
    expect(deletes.filter((count) => Object.keys(count).length > 0)).toEqual([{ unlink: 1 }])
  })

  it('setMany() and deleteMany() group their keys by slot and count what existed', async () => {
    const items = cache<number, number>({ keyType: 'int', valueType: 'int', localMax: 0 })
    const keys = Array.from({ length: 60 }, (_, index) => index)
    const slots = new Set(keys.map((key) => calculateSlot(`${items.name}:${key}`)))
    const writes = await perMaster(() =>
      items.setMany(
        keys.map((key) => [key, key]),
        { expireTime: null },
      ),
    )
    expect(total(writes, 'mset') + total(writes, 'set')).toBe(slots.size)
    const deletes = await perMaster(async () => expect(await items.deleteMany([...keys, 1000])).toBe(60))
    expect(total(deletes, 'unlink')).toBe(new Set([...slots, calculateSlot(`${items.name}:1000`)]).size)
    expect(await keysPerMaster(`${items.name}:`)).toEqual([0, 0, 0])
  })

  it('setMany() with an expiry: one script per slot that holds several keys, a SET PX for a key alone in its slot', async () => {
    const tagged = cache<number, number>({ keyType: 'int', valueType: 'int', localMax: 0, hashTag: true })
    const numbers = Array.from({ length: 60 }, (_, index) => index)
    const taggedWrites = await perMaster(() =>
      tagged.setMany(
        numbers.map((key) => [key, key]),
        { expireTime: 60_000 },
      ),
    )
    expect(total(taggedWrites, 'eval')).toBe(1)
    expect(taggedWrites.filter((count) => count.set === 60)).toHaveLength(1)

    // Keys with hash tags of their own: {a} and {b} hold three keys each, solo is alone in its slot.
    const items = cache<string, number>({ valueType: 'int', localMax: 0 })
    const keys = ['{a}1', '{a}2', '{a}3', '{b}1', '{b}2', '{b}3', 'solo']
    const writes = await perMaster(() =>
      items.setMany(
        keys.map((key, index) => [key, index]),
        { expireTime: 60_000 },
      ),
    )
    expect(total(writes, 'eval')).toBe(2)
    expect(total(writes, 'set')).toBe(7)
    expect(await items.getMany(keys)).toEqual(keys.map((_, index) => index))
    const reader = client()
    for (const key of ['{a}2', 'solo']) {
      const left = await reader.pttl(`${items.name}:${key}`)
      expect(left).toBeGreaterThan(50_000)
      expect(left).toBeLessThanOrEqual(60_000)
    }
  })

  it('keys(), entries() and clear() visit every master', async () => {
    const items = cache<number, number>({ keyType: 'int', valueType: 'int' })
    const neighbour = cache<number, number>({ keyType: 'int', valueType: 'int' }, `${items.name}x`)
    await items.setMany(Array.from({ length: 200 }, (_, index): [number, number] => [index, index]))
    await neighbour.set(1, 1)
    const scans = await perMaster(async () => {
      const keys: number[] = []
      for await (const key of items.keys()) keys.push(key)
      expect(keys.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, index) => index))
    })
    for (const count of scans) expect(count.scan).toBeGreaterThan(0)
    let sum = 0
    for await (const [, value] of items.entries()) sum += value
    expect(sum).toBe((199 * 200) / 2)
    await items.clear()
    expect(await keysPerMaster(`${items.name}:`)).toEqual([0, 0, 0])
    expect(await neighbour.get(1)).toBe(1)
  })

  it('hash buckets spread over the masters, a bucket in one slot', async () => {
    const items = cache<number, number>({
      keyType: 'int',
      valueType: 'int',
      localMax: 0,
      storage: { kind: 'hash', bucketSize: 10 },
    })
    const keys = Array.from({ length: 300 }, (_, index) => index)
    await items.setMany(keys.map((key) => [key, key + 1]))
    const buckets = await keysPerMaster(`${items.name}:b:`)
    expect(buckets.reduce((sum, count) => sum + count, 0)).toBe(30)
    for (const count of buckets) expect(count).toBeGreaterThan(0)
    const reads = await perMaster(async () =>
      expect(await items.getMany(keys)).toEqual(keys.map((key) => key + 1)),
    )
    expect(total(reads, 'hmget')).toBe(30)
    await items.clear()
    expect(await keysPerMaster(`${items.name}:b:`)).toEqual([0, 0, 0])
  })

  it('a write on one client invalidates the L1 of a cache on another, through every master', async () => {
    const a = cache<number, number>({ redis: client(), keyType: 'int', valueType: 'int' })
    const b = cache<number, number>({ redis: client(), keyType: 'int', valueType: 'int' }, a.name)
    await Promise.all([a.ready(), b.ready()])
    const keys = Array.from({ length: 30 }, (_, index) => index)
    const heard = () => new Promise((resolve) => b.once('invalidate', resolve))
    const first = heard()
    await a.setMany(keys.map((key) => [key, 1]))
    await first
    expect(await b.getMany(keys)).toEqual(keys.map(() => 1))
    const second = heard()
    await a.setMany(keys.map((key) => [key, 2]))
    await second
    expect(await b.getMany(keys)).toEqual(keys.map(() => 2))
    await a.clear()
    await vi.waitFor(() => expect(b.peek(0)).toBeUndefined(), patience)
  })

  it('when its subscriber connection drops, a cache moves it to another node and empties its L1', async () => {
    const a = cache<number, number>({ redis: client(), keyType: 'int', valueType: 'int' })
    const b = cache<number, number>({ redis: client(), keyType: 'int', valueType: 'int' }, a.name)
    await Promise.all([a.ready(), b.ready()])
    const origins: string[] = []
    b.on('invalidate', ({ origin }) => origins.push(origin))
    await a.set(1, 1)
    // The message crosses the cluster bus when the subscribers sit on other nodes: wait for it.
    await vi.waitFor(() => expect(origins).toEqual(['remote']), patience)
    expect(await b.get(1)).toBe(1)
    origins.length = 0
    // Every pub/sub connection on every node is killed: both caches' subscribers go, wherever they were.
    await Promise.all(
      own.cluster.nodes.map(async (node) => {
        const direct = new Redis({ port: node.port, host: '127.0.0.1' })
        await direct.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
        direct.disconnect()
      }),
    )
    await vi.waitFor(() => expect(origins).toContain('reconnect'), patience)
    expect(b.peek(1)).toBeUndefined()
    // Subscribed again (before it said so): the next write is heard.
    expect(await b.get(1)).toBe(1)
    origins.length = 0
    await a.set(1, 2)
    await vi.waitFor(() => expect(origins).toContain('remote'), patience)
    expect(await b.get(1)).toBe(2)
  })

  it("sync: 'tracking' falls back to pubsub on a cluster, with a warning that says so", async () => {
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      const a = cache<number, number>({ redis: client(), keyType: 'int', valueType: 'int', sync: 'tracking' })
      const b = cache<number, number>(
        { redis: client(), keyType: 'int', valueType: 'int', sync: 'tracking' },
        a.name,
      )
      await Promise.all([a.ready(), b.ready()])
      await a.set(1, 1)
      expect(await b.get(1)).toBe(1)
      const heard = new Promise((resolve) => b.once('invalidate', resolve))
      await a.set(1, 2)
      await heard
      expect(await b.get(1)).toBe(2)
    } finally {
      process.off('warning', onWarning)
    }
    const refused = warnings.filter((warning) => (warning as { code?: string }).code === 'E_TRACKING_REFUSED')
    expect(refused.length).toBeGreaterThan(0)
    expect(refused[0]?.message).toMatch(/Redis Cluster.*falls back to sync 'pubsub'/)
  })

  it("getOrSet()'s lock works across clients, its key in its entry's slot", async () => {
    const first = cache<string, number>({ redis: client(), valueType: 'int', hashTag: true })
    const second = cache<string, number>({ redis: client(), valueType: 'int', hashTag: true }, first.name)
    let calls = 0
    let lockSlot: unknown
    const loader = async () => {
      calls++
      const [lockKey] = await own.masters.reduce<Promise<string[]>>(
        async (found, master) => [...(await found), ...(await master.keys(`_lock:{${first.name}}:*`))],
        Promise.resolve([]),
      )
      lockSlot = lockKey === undefined ? undefined : calculateSlot(lockKey)
      await new Promise((resolve) => setTimeout(resolve, 30))
      return 7
    }
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).getOrSet('k', loader)),
    )
    expect(calls).toBe(1)
    expect(new Set(results)).toEqual(new Set([7]))
    expect(lockSlot).toBe(calculateSlot(`{${first.name}}:k`))
  })

  it('a namespace scan on a cluster that never becomes ready fails with E_REDIS within timeout', async () => {
    const unreachable = new Cluster([{ host: '127.0.0.1', port: await freePort() }], {
      clusterRetryStrategy: () => null,
    })
    unreachable.on('error', () => {})
    const items = new FlipCache<string, string>(uniqueName(), {
      redis: unreachable,
      timeout: 200,
      sync: 'none',
    })
    const startedAt = Date.now()
    await expect(items.clear()).rejects.toMatchObject({ code: 'E_REDIS' })
    // Bounded by `timeout`, not hanging: seconds to spare for a loaded machine.
    expect(Date.now() - startedAt).toBeLessThan(200 + 3_000)
    await items.close()
    unreachable.disconnect()
  })

  it('opens and closes a Cluster of its own for { cluster: [nodes] }', async () => {
    const items = new FlipCache<string, string>(uniqueName(), {
      redis: { cluster: own.cluster.startupNodes },
      valueType: 'string',
    })
    await items.set('a', 'b')
    expect(await items.get('a')).toBe('b')
    await items.clear()
    await items.close()
    expect(() => new FlipCache('x', { redis: { cluster: [] } })).toThrow(
      /Expected `redis.cluster` to be a non-empty array of startup nodes/,
    )
  })
})
