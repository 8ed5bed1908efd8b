import calculateSlot from 'cluster-key-slot'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FlipCache } from '../../src/index.js'
import { useClusterCaches } from '../support/cache-builder.js'
import { patience } from '../support/patience.js'
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js'
import { identifyServer, serverBinary } from '../support/server-binary.js'
import { expiresHashFields, fieldTtls } from '../support/server-features.js'

// A cluster of mixed versions: shard 0 runs the server of the run (`FLIPCACHE_REDIS_SERVER`: Redis 8
// expires hash fields), shards 1 and 2 the `redis-server` on the PATH (7.0 here: it does not). Each
// shard's replica runs its master's binary (an older replica cannot replicate from a newer master).
// With `FLIPCACHE_REDIS_SERVER` unset every node is the same: the tests ask each master what it can
// do (COMMAND INFO), and assert for each bucket what its master must hold.
let cluster: RedisCluster
const admins = new Map<number, Redis>()
// Six servers, a cluster created master by master and the first syncs get 90 s on a loaded machine.
beforeAll(async () => {
  cluster = await startRedisCluster(5_000, {
    manualFailover: true,
    shardBinaries: [serverBinary(), 'redis-server', 'redis-server'],
  })
}, 90_000)
afterAll(async () => {
  for (const admin of admins.values()) admin.disconnect()
  await cluster?.stop()
})

/** A plain connection to the node on `port`, kept for the file. */
function admin(port: number): Redis {
  let found = admins.get(port)
  if (found === undefined) {
    found = new Redis({ port, host: '127.0.0.1' })
    admins.set(port, found)
  }
  return found
}

/** The masters now: each one's port, slot ranges, and whether its server expires hash fields. */
interface Master {
  port: number
  ranges: [number, number][]
  fieldTtls: boolean
}

async function masters(): Promise<Master[]> {
  const slots = (await admin(cluster.nodes[0]?.port as number).call('CLUSTER', 'SLOTS')) as [
    number,
    number,
    [string, number],
  ][]
  const ports = [...new Set(slots.map(([, , [, port]]) => Number(port)))]
  return Promise.all(
    ports.map(async (port) => ({
      port,
      ranges: slots.filter(([, , [, master]]) => Number(master) === port).map(([from, to]) => [from, to]),
      fieldTtls: await expiresHashFields(admin(port)),
    })),
  )
}

function masterOf(all: Master[], key: string): Master {
  const slot = calculateSlot(key)
  const found = all.find((master) => master.ranges.some(([from, to]) => slot >= from && slot <= to))
  if (found === undefined) throw new Error(`No master serves slot ${slot}`)
  return found
}

/** `perMaster` bucket numbers of `name` on each master, the first ones found. */
function bucketsOn(all: Master[], name: string, perMaster: number): Map<Master, number[]> {
  const found = new Map<Master, number[]>(all.map((master) => [master, []]))
  for (let bucket = 0; [...found.values()].some((list) => list.length < perMaster); bucket++) {
    const list = found.get(masterOf(all, `${name}:b:${bucket}`)) as number[]
    if (list.length < perMaster) list.push(bucket)
  }
  return found
}

const bucketSize = 10

/**
 * Asserts the entry of field `field` in `bucket` holds `value` (written with a TTL of 1 h) as its
 * master can expire it: raw with a field TTL, or in a header. A bucket only ever written with field
 * TTLs (`fresh`) has no TTL of its own; one that also holds header entries keeps theirs.
 */
async function expectWrittenFor(
  master: Master,
  bucket: string,
  field: string,
  value: string,
  fresh = true,
): Promise<void> {
  const node = admin(master.port)
  const raw = await node.hget(bucket, field)
  if (master.fieldTtls) {
    expect(raw).toBe(value)
    const [ttl] = await fieldTtls(node, bucket, field)
    expect(ttl).toBeGreaterThan(3_500_000)
    if (fresh) expect(await node.pttl(bucket)).toBe(-1)
  } else {
    expect(raw?.slice(0, 2)).toBe('\0D')
    expect(raw?.endsWith(value)).toBe(true)
    expect(await node.pttl(bucket)).toBeGreaterThan(3_500_000)
  }
}

describe("hash buckets on a Cluster whose masters differ: entryExpiry 'auto' per master", () => {
  const { cache } = useClusterCaches(() => cluster.startupNodes)
  const buckets = (extra = {}): FlipCache<number, string> =>
    cache<number, string>({
      keyType: 'int',
      valueType: 'string',
      storage: { kind: 'hash', bucketSize },
      expireTime: '1h',
      localMax: 0,
      // The first calls wait (within the timeout) for every master's answer: a loaded machine gets 5 s.
      timeout: 5_000,
      ...extra,
    })

  it('the shards run the servers asked for: the first the run’s own, the others the one on the PATH', async () => {
    const all = await masters()
    expect(all).toHaveLength(3)
    const shard = (index: number) => cluster.nodes[index]?.port
    const own = all.find((master) => master.port === shard(0)) as Master
    const others = all.filter((master) => master !== own)
    expect(others.map((master) => master.port).sort()).toEqual([shard(1), shard(2)].sort())
    // Each shard runs the binary given for it, its replica too.
    expect(cluster.nodes[0]?.version).toBe(identifyServer(serverBinary()).version)
    expect(cluster.nodes[1]?.version).toBe(identifyServer('redis-server').version)
    for (let index = 0; index < 3; index++)
      expect(cluster.nodes[index + 3]?.version).toBe(cluster.nodes[index]?.version)
    // Both others run one binary: they can do the same.
    expect(new Set(others.map((master) => master.fieldTtls)).size).toBe(1)
  })

  it('each bucket is written as its master can expire it: raw with a field TTL, or with a header; every entry reads back', async () => {
    const all = await masters()
    const items = buckets()
    await items.ready()
    const placed = bucketsOn(all, items.name, 3)
    const written: [number, string][] = []
    for (const list of placed.values())
      for (const bucket of list)
        for (const field of [0, 7]) written.push([bucket * bucketSize + field, `v${bucket}-${field}`])
    await items.setMany(written)
    for (const [master, list] of placed) {
      for (const bucket of list) {
        for (const field of [0, 7])
          await expectWrittenFor(master, `${items.name}:b:${bucket}`, String(field), `v${bucket}-${field}`)
      }
      // ttl() answers on either kind of master.
      const key = (list[0] as number) * bucketSize
      const ttl = await items.ttl(key)
      expect(ttl).toBeGreaterThan(3_500_000)
      expect(ttl).toBeLessThanOrEqual(3_600_000)
      expect(await items.has(key + 1)).toBe(false)
    }
    expect(await items.getMany(written.map(([key]) => key))).toEqual(written.map(([, value]) => value))
  })

  it('an entry with a TTL of 1 s expires on every master; on one that expires fields, an unread entry leaves its bucket too', async () => {
    const all = await masters()
    const items = buckets()
    await items.ready()
    const placed = [...bucketsOn(all, items.name, 1)].map(([master, [bucket]]) => ({
      master,
      bucket: `${items.name}:b:${bucket}`,
      read: (bucket as number) * bucketSize,
    }))
    for (const { read } of placed) {
      await items.set(read, 'brief', { expireTime: '1s' })
      await items.set(read + 1, 'unread', { expireTime: '1s' })
      await items.set(read + 2, 'lasting')
    }
    for (const { master, bucket, read } of placed) {
      await vi.waitFor(async () => expect(await items.get(read)).toBeUndefined(), patience)
      const node = admin(master.port)
      if (master.fieldTtls) {
        // The server removes expired fields by itself: nothing is left of the entry nobody read.
        await vi.waitFor(async () => expect(await node.hexists(bucket, '1')).toBe(0), patience)
        expect(await node.hlen(bucket)).toBe(1)
      } else {
        // Expiry in a header: the entry read was removed by its read (compare-and-delete), the other stays.
        await vi.waitFor(async () => expect(await node.hexists(bucket, '0')).toBe(0), patience)
        expect(await node.hexists(bucket, '1')).toBe(1)
      }
      // The unread entry was written after the one read, so it may outlive it by a few ms: ttl()
      // reads its expiry without removing it (a read past it would).
      await vi.waitFor(async () => expect(await items.ttl(read + 1)).toBeUndefined(), patience)
      // Past its expiry, unread: gone by itself from a master that expires fields, still held elsewhere.
      expect(await node.hexists(bucket, '1')).toBe(master.fieldTtls ? 0 : 1)
      expect(await items.get(read + 1)).toBeUndefined()
      expect(await items.get(read + 2)).toBe('lasting')
    }
  })

  // Last in the file: it changes the cluster (shard 0's replica becomes its master).
  it("after a failover of the run's own shard, its new master is asked, and writes to it keep its path", async () => {
    const before = await masters()
    const oldPort = cluster.nodes[0]?.port as number
    const newPort = cluster.nodes[3]?.port as number
    const items = buckets()
    await items.ready()
    const [early, late] = bucketsOn(before, items.name, 2).get(
      before.find((master) => master.port === oldPort) as Master,
    ) as [number, number]
    await items.set(early * bucketSize, 'before')
    await cluster.waitReplicated(oldPort)
    await cluster.failover(oldPort)
    await cluster.waitHealthy(3, 20_000)
    const after = await masters()
    const promoted = after.find((master) => master.port === newPort)
    expect(promoted).toBeDefined()
    const master = promoted as Master
    // The same binary as before: the same support.
    expect(master.fieldTtls).toBe(before.find((old) => old.port === oldPort)?.fieldTtls)
    // Counted from here: the probes the cache sends to the new master (and the test's own above not).
    await admin(newPort).call('CONFIG', 'RESETSTAT')
    // Until the client reads the new slot table, the slot still names the old master (whose answer
    // stands for it: a write it refuses as MOVED is sent on); then the new master is asked, and its answer
    // decides. A fresh field each time: a write made while it is being asked takes the header path.
    let field = 0
    await vi.waitFor(
      async () => {
        field = (field + 1) % bucketSize
        await items.set(late * bucketSize + field, `after-${field}`)
        expect(await admin(newPort).info('commandstats')).toMatch(/cmdstat_command\|info:calls=[1-9]/)
        await expectWrittenFor(master, `${items.name}:b:${late}`, String(field), `after-${field}`, false)
      },
      { timeout: 20_000, interval: 100 },
    )
    // Entries written before the failover read back from the new master.
    expect(await items.get(early * bucketSize)).toBe('before')
    expect(await items.ttl(early * bucketSize)).toBeGreaterThan(3_000_000)
  }, 90_000)
})
