import { Cluster, type Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LockLoss } from '../../src/lock/redis-lock.js'
import { RedisLock } from '../../src/lock/redis-lock.js'
import { RedisLockGroup } from '../../src/lock/redis-lock-group.js'
import { Transport } from '../../src/redis/transport.js'
import { uniqueName } from '../support/cache-builder.js'
import { countCommands } from '../support/command-stats.js'
import { useOwnClients } from '../support/own-clients.js'
import { useOwnCluster } from '../support/own-cluster.js'
import { useOwnServer } from '../support/own-server.js'

const own = useOwnServer()
const clients = useOwnClients(own)
const ownCluster = useOwnCluster()

const clusters: Cluster[] = []
afterEach(() => {
  for (const cluster of clusters.splice(0)) cluster.disconnect()
})

/** How many of `keys` exist (asked one by one: on a Cluster they may lie in different slots). */
async function existing(admin: Redis | Cluster, keys: string[]): Promise<number> {
  let count = 0
  for (const key of keys) count += await admin.exists(key)
  return count
}

/** One group's behaviour, on a single node or a Cluster: `admin` sees and edits the lock keys. */
function lockGroupSuite(open: () => { client: Redis | Cluster; admin: () => Redis | Cluster }): void {
  it('takes the free keys and not those locked elsewhere, and releases only its own tokens', async () => {
    const { client, admin } = open()
    const view = new Transport(client).for(2_000)
    const prefix = `_lock:${uniqueName()}:`
    const keys = Array.from({ length: 12 }, (_, index) => `${prefix}k${index}`)
    // Three keys are held by someone else (another process's token).
    for (const key of keys.slice(0, 3)) await admin().set(key, 'theirs', 'PX', 10_000)
    const group = new RedisLockGroup(view, 10_000)
    const onLost = vi.fn<(loss: LockLoss) => void>()
    const locks = keys.map((key) => group.lock(key, onLost))
    const taken = await Promise.all(locks.map((lock) => lock.acquire()))
    expect(taken).toEqual([false, false, false, ...Array(9).fill(true)])
    expect(group.size).toBe(9)
    for (const key of keys.slice(3)) {
      const ttl = await admin().pttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(10_000)
    }
    // A lock of the group that another process took over (it expired meanwhile): not deleted.
    await admin().set(keys[3] as string, 'taken over', 'PX', 10_000)
    await Promise.all(locks.slice(3).map((lock) => lock.release()))
    expect(onLost.mock.calls).toEqual([['release']])
    expect(group.size).toBe(0)
    expect(await admin().get(keys[3] as string)).toBe('taken over')
    for (const key of keys.slice(0, 3)) expect(await admin().get(key)).toBe('theirs')
    for (const key of keys.slice(4)) expect(await admin().exists(key)).toBe(0)
    // The keys locked elsewhere were never the group's to release: releasing them deletes nothing.
    await Promise.all(locks.slice(0, 3).map((lock) => lock.discard()))
    for (const key of keys.slice(0, 3)) expect(await admin().get(key)).toBe('theirs')
  })

  it('excludes and is excluded by the single-key lock getOrSet takes', async () => {
    const { client, admin } = open()
    const view = new Transport(client).for(2_000)
    const prefix = `_lock:${uniqueName()}:`
    const single = new RedisLock(view, `${prefix}a`, 10_000, () => {})
    expect(await single.acquire()).toBe(true)
    const group = new RedisLockGroup(view, 10_000)
    const a = group.lock(`${prefix}a`, () => {})
    const b = group.lock(`${prefix}b`, () => {})
    expect(await Promise.all([a.acquire(), b.acquire()])).toEqual([false, true])
    expect(await new RedisLock(view, `${prefix}b`, 10_000, () => {}).acquire()).toBe(false)
    await single.release()
    await b.release()
    expect(await existing(admin(), [`${prefix}a`, `${prefix}b`])).toBe(0)
  })

  it('keeps its locks alive while held, and hears of one lost on extension', async () => {
    const { client, admin } = open()
    const view = new Transport(client).for(2_000)
    const prefix = `_lock:${uniqueName()}:`
    const keys = [`${prefix}x`, `${prefix}y`, `${prefix}z`]
    // 2 s locks, extended every second.
    const group = new RedisLockGroup(view, 2_000)
    const lost = new Map<string, LockLoss>()
    const locks = keys.map((key) => group.lock(key, (loss) => lost.set(key, loss)))
    const acquiredAt = Date.now()
    expect(await Promise.all(locks.map((lock) => lock.acquire()))).toEqual([true, true, true])
    // Another process deletes one (as FLUSHALL or eviction would): the next extension finds it gone.
    await admin().del(keys[1] as string)
    await vi.waitFor(() => expect(lost).toEqual(new Map([[keys[1], 'extend']])), { timeout: 5_000 })
    expect(group.size).toBe(2)
    // The others outlive their TTL, being extended (a test of time passing: it must pass).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, acquiredAt + 2_500 - Date.now())))
    expect(await admin().get(keys[0] as string)).not.toBeNull()
    expect(await admin().get(keys[2] as string)).not.toBeNull()
    await Promise.all([locks[0]?.release(), locks[2]?.release()])
    expect(await existing(admin(), keys)).toBe(0)
    expect([...lost.keys()]).toEqual([keys[1]])
  })
}

describe('RedisLockGroup on a single node', () => {
  lockGroupSuite(() => {
    const client = clients.client()
    return { client, admin: () => own.admin }
  })

  it('takes, and then releases, a batch of locks with one script each', async () => {
    const client = clients.client()
    const view = new Transport(client).for(2_000)
    const prefix = `_lock:${uniqueName()}:`
    const group = new RedisLockGroup(view, 10_000)
    const locks = Array.from({ length: 50 }, (_, index) => group.lock(`${prefix}${index}`, () => {}))
    const commands = await countCommands(own.admin, async () => {
      await Promise.all(locks.map((lock) => lock.acquire()))
      await Promise.all(locks.map((lock) => lock.release()))
    })
    // The scripts' own SETs, GETs and DELs count too: one each per key.
    expect(commands).toEqual({ eval: 2, set: 50, get: 50, del: 50 })
  })
})

describe('RedisLockGroup on a Redis Cluster', () => {
  const cluster = (): Cluster => {
    const client = new Cluster(ownCluster.cluster.startupNodes)
    clusters.push(client)
    return client
  }

  lockGroupSuite(() => {
    const client = cluster()
    return { client, admin: () => client }
  })

  it('sends one script per slot: keys with one hash tag share one', async () => {
    const client = cluster()
    const view = new Transport(client).for(2_000)
    const tagged = `_lock:{${uniqueName()}}:`
    const spread = `_lock:${uniqueName()}:`
    const group = new RedisLockGroup(view, 10_000)
    const keys = [
      ...Array.from({ length: 20 }, (_, index) => `${tagged}${index}`),
      ...Array.from({ length: 20 }, (_, index) => `${spread}${index}`),
    ]
    const locks = keys.map((key) => group.lock(key, () => {}))
    const sent = vi.spyOn(view, 'command')
    expect(await Promise.all(locks.map((lock) => lock.acquire()))).toEqual(Array(40).fill(true))
    const slots = new Set(keys.slice(20).map((key) => view.router?.slotOf(key)))
    // The 20 tagged keys in one script; the others one per slot they fall in.
    expect(sent).toHaveBeenCalledTimes(1 + slots.size)
    for (const key of keys) expect(await client.exists(key)).toBe(1)
    await Promise.all(locks.map((lock) => lock.release()))
    for (const key of keys) expect(await client.exists(key)).toBe(0)
  })
})
