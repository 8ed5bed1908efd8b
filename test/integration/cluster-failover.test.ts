import calculateSlot from 'cluster-key-slot'
import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { FlipCacheError, type RedisStatusChange } from '../../src/index.js'
import { useClusterCaches } from '../support/cache-builder.js'
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js'

// A cluster of this file's own, since the test kills one of its masters. Its replicas take over only
// when the test says (and the other masters serve meanwhile): how long the master stays down is the
// test's choice, not a race between an election and the calls that fail meanwhile.
let cluster: RedisCluster
// Six servers, a cluster create and the first syncs get a minute on a loaded machine.
beforeAll(async () => {
  cluster = await startRedisCluster(1000, { manualFailover: true })
}, 60_000)
afterAll(() => cluster?.stop())

/**
 * The calls' timeout. A process that stalls longer than this (a loaded machine) times out calls to
 * healthy masters too, and five at once open a healthy master's breaker: 1 s keeps that out of reach.
 */
const timeoutMs = 1_000
/**
 * How long after one client works again every client does: each reads the slot table again at most
 * every 100 ms, and a refresh that asks the dead node first waits out ioredis's slotsRefreshTimeout
 * (1 s) before asking another. About 1.5 s on an idle machine; a loaded one gets 5 s.
 */
const settleMs = 5_000
/** A call must settle within this: its timeout, and seconds to spare for a loaded machine (no hang). */
const noHangMs = timeoutMs + 3_000
/**
 * Redis replicates asynchronously: a write the failed master acknowledged this long before it died
 * may not have reached its replica yet (a few ms when idle; a loaded machine gets a second).
 */
const replicationLagMs = 1_000
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The slot ranges of the master on `port`, from CLUSTER SLOTS. */
async function slotsOf(client: Cluster, port: number): Promise<[number, number][]> {
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
  return ranges.filter(([, , [, master]]) => Number(master) === port).map(([from, to]) => [from, to])
}

describe('FlipCache through a Redis Cluster failover', () => {
  const { cache, client } = useClusterCaches(() => cluster.startupNodes)

  it('kill a master under load: calls fail fast or succeed, the cache recovers, no acknowledged write is lost', async () => {
    const options = { keyType: 'int', valueType: 'int', timeout: timeoutMs } as const
    const writer = cache<number, number>({ ...options, redis: client() })
    const reader = cache<number, number>({ ...options, redis: client() }, writer.name)
    await Promise.all([writer.ready(), reader.ready()])
    const breakerChanges: RedisStatusChange[] = []
    writer.on('redis', (change) => breakerChanges.push(change))
    const observer = client()
    const victimPort = (await cluster.masterPorts())[0] as number
    const victimSlots = await slotsOf(observer, victimPort)
    const onVictim = (key: number): boolean => {
      const slot = calculateSlot(`${writer.name}:${key}`)
      return victimSlots.some(([from, to]) => slot >= from && slot <= to)
    }

    // Before the failure: 300 keys written and acknowledged, and read into the reader's L1.
    const settled = Array.from({ length: 300 }, (_, key): [number, number] => [key, key])
    await writer.setMany(settled)
    // Acknowledged is not yet replicated: the victim's replica gets them before the kill.
    await cluster.waitReplicated(victimPort)
    expect(await reader.getMany(settled.map(([key]) => key))).toEqual(settled.map(([, value]) => value))
    expect(settled.filter(([key]) => onVictim(key)).length).toBeGreaterThan(50)

    // The load: writers of keys 1000+ (each key written once, with a value of its own) and readers.
    const acknowledged = new Map<number, number>()
    const failures: { error: unknown; startedAt: number }[] = []
    let slowest = 0
    let running = true
    let killedAt = Number.POSITIVE_INFINITY
    let next = 1000
    /** Calls started once every client has had `settleMs` to read the new slot table. */
    let settledAt = Number.POSITIVE_INFINITY
    let callsAfterSettling = 0
    const timed = async (call: () => Promise<unknown>): Promise<boolean> => {
      const started = Date.now()
      if (started >= settledAt) callsAfterSettling++
      try {
        await call()
        return true
      } catch (error) {
        failures.push({ error, startedAt: started })
        return false
      } finally {
        slowest = Math.max(slowest, Date.now() - started)
      }
    }
    const worker = async (index: number): Promise<void> => {
      while (running) {
        if (index % 2 === 0) {
          const key = next++
          const at = Date.now()
          if (await timed(() => writer.set(key, key * 3))) acknowledged.set(key, at)
        } else {
          await timed(() => reader.get(Math.floor(Math.random() * settled.length)))
        }
        await sleep(2)
      }
    }
    const workers = Array.from({ length: 8 }, (_, index) => worker(index))

    // Under load: the kill comes once the writers have had writes acknowledged.
    await vi.waitFor(() => expect(acknowledged.size).toBeGreaterThanOrEqual(20), { timeout: 10_000 })
    const victim = cluster.nodes.find((node) => node.port === victimPort)
    killedAt = Date.now()
    await victim?.crash()
    // The writer's calls to the dead master fail (each within `timeout`) until its breaker opens.
    const victimNode = `127.0.0.1:${victimPort}`
    await vi.waitFor(
      () =>
        expect(breakerChanges.some((change) => change.status === 'down' && change.node === victimNode)).toBe(
          true,
        ),
      { timeout: 30_000, interval: 50 },
    )
    // Then its replica takes over.
    await cluster.failover(victimPort)
    await cluster.waitHealthy(3, 20_000)
    const promotedAt = Date.now()
    // Recovered: writes to the failed master's slots succeed again through the cache.
    const victimKey = Array.from({ length: 100 }, (_, key) => 5000 + key).find(onVictim) as number
    await vi.waitFor(
      async () => {
        await writer.set(victimKey, 1)
        expect(await reader.get(victimKey)).toBe(1)
      },
      { timeout: 15_000, interval: 50 },
    )
    const recoveredAt = Date.now()
    settledAt = recoveredAt + settleMs
    // The load goes on past the time every client takes to read the new slot table (see below),
    // until a good number of calls have been made after it.
    await vi.waitFor(() => expect(callsAfterSettling).toBeGreaterThanOrEqual(200), {
      timeout: settleMs + 20_000,
      interval: 50,
    })
    running = false
    await Promise.all(workers)

    // No call outlived its timeout (no hang); every failure is a FlipCacheError.
    expect(slowest).toBeLessThan(noHangMs)
    for (const { error } of failures) {
      expect(error).toBeInstanceOf(FlipCacheError)
      expect(['E_REDIS', 'E_TIMEOUT']).toContain((error as FlipCacheError).code)
    }
    // The cache recovered: every call made once each client has read the new slot table succeeded.
    const late = failures.filter(({ startedAt }) => startedAt >= recoveredAt)
    expect(late.filter(({ startedAt }) => startedAt >= settledAt)).toEqual([])

    // Every write acknowledged before the failure is still there, read through the cache and raw.
    const settledKeys = settled.map(([key]) => key)
    const fresh = cache<number, number>({ ...options, localMax: 0 }, writer.name)
    expect(await fresh.getMany(settledKeys)).toEqual(settled.map(([, value]) => value))
    expect(await reader.getMany(settledKeys)).toEqual(settled.map(([, value]) => value))
    // Writes acknowledged under load: kept, except what Redis's asynchronous replication may drop
    // on the failed master in the moment before it died.
    const ackedKeys = [...acknowledged.keys()]
    const stored = await fresh.getMany(ackedKeys)
    const lost = ackedKeys.filter((key, index) => stored[index] !== key * 3)
    for (const key of lost) {
      expect(onVictim(key)).toBe(true)
      expect(acknowledged.get(key) as number).toBeGreaterThan(killedAt - replicationLagMs)
    }

    // The breaker that opened was the failed master's alone, named in the event.
    const downs = breakerChanges.filter((change) => change.status === 'down')
    expect(downs.length).toBeGreaterThan(0)
    const seen = JSON.stringify(
      downs.map((change) => [change.node, 'error' in change && change.error.message]),
    )
    for (const change of downs) expect(change.node, seen).toBe(victimNode)

    // The reader hears the writer again once the cluster has settled.
    await writer.set(3, 33)
    await vi.waitFor(async () => expect(await reader.get(3)).toBe(33), { timeout: 5_000 })

    console.info(
      `failover: ${failures.length} failed calls, slowest call ${slowest} ms (timeout ${timeoutMs}), ` +
        `replica took over and cluster healthy ${promotedAt - killedAt} ms after the kill, cache writing again after ` +
        `${recoveredAt - killedAt} ms (${late.length} calls failed in the ${late.length === 0 ? 0 : Math.max(...late.map(({ startedAt }) => startedAt - recoveredAt))} ms after); ` +
        `${ackedKeys.length} writes acknowledged under load, ${lost.length} lost`,
    )
  }, 60_000)
})
