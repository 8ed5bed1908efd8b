import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js'
import { useStructures } from '../support/structure-builder.js'

// A cluster of this file's own (slow to start: one per file). A 5 s node timeout keeps a starved
// machine from failing a node over; six servers and the first syncs get a minute.
let cluster: RedisCluster
let masters: Redis[]
beforeAll(async () => {
  cluster = await startRedisCluster(5_000)
  masters = (await cluster.masterPorts()).map((port) => new Redis({ port, host: '127.0.0.1' }))
}, 60_000)
afterAll(async () => {
  for (const master of masters ?? []) master.disconnect()
  await cluster?.stop()
})

/** How many keys starting with `prefix` each master holds (SCAN, as the code under test). */
function keysPerMaster(prefix: string): Promise<number[]> {
  return Promise.all(
    masters.map(async (master) => {
      let count = 0
      let cursor = '0'
      do {
        const [next, found] = await master.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        cursor = next
        count += found.length
      } while (cursor !== '0')
      return count
    }),
  )
}

describe('FlipList and FlipRanking on a Redis Cluster', () => {
  const { list, ranking } = useStructures(() => new Cluster(cluster.startupNodes))

  it('lists spread over the masters; push, range, lengths, keys() and clear() work across them', async () => {
    const views = list<number, number>({ maxLength: 3, keyType: 'int', valueType: 'int' })
    await Promise.all(Array.from({ length: 40 }, (_, key) => views.push(key, key, key + 1, key + 2, key + 3)))
    const spread = await keysPerMaster(`${views.name}:`)
    expect(spread.filter((count) => count > 0).length).toBeGreaterThan(1)
    expect(spread.reduce((sum, count) => sum + count, 0)).toBe(40)
    expect(await views.range(7)).toEqual([10, 9, 8])
    expect(await views.lengths([0, 1, 39, 40])).toEqual([3, 3, 3, 0])
    const keys: number[] = []
    for await (const key of views.keys()) keys.push(key)
    expect(keys.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, key) => key))
    expect(await views.clear()).toBe(40)
    expect(await keysPerMaster(`${views.name}:`)).toEqual(masters.map(() => 0))
  })

  it('rankings spread over the masters; increment with maxSize, top, rank, keys() and clear() work across them', async () => {
    const scores = ranking<string, string>({ maxSize: 2 })
    const keys = Array.from({ length: 30 }, (_, index) => `board-${index}`)
    await Promise.all(
      keys.flatMap((key) => ['a', 'b', 'b', 'c', 'c', 'c'].map((member) => scores.increment(key, member))),
    )
    const spread = await keysPerMaster(`${scores.name}:`)
    expect(spread.filter((count) => count > 0).length).toBeGreaterThan(1)
    for (const key of keys) {
      expect(await scores.top(key, 5)).toEqual([
        { member: 'c', score: 3 },
        { member: 'b', score: 2 },
      ])
    }
    expect(await scores.rank('board-3', 'b')).toBe(1)
    const found: string[] = []
    for await (const key of scores.keys()) found.push(key)
    expect(found.sort()).toEqual([...keys].sort())
    expect(await scores.clear()).toBe(30)
    expect(await keysPerMaster(`${scores.name}:`)).toEqual(masters.map(() => 0))
  })

  it('with hashTag every key of the namespace lives on one master', async () => {
    const views = list<number, number>({ maxLength: 2, keyType: 'int', valueType: 'int', hashTag: true })
    await Promise.all(Array.from({ length: 20 }, (_, key) => views.push(key, key)))
    const spread = await keysPerMaster(`{${views.name}}:`)
    expect(spread.filter((count) => count > 0)).toEqual([20])
    expect(await views.clear()).toBe(20)
  })
})
