import { Cluster } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { useOwnCluster } from '../support/own-cluster.js'
import { useStructures } from '../support/structure-builder.js'

// A cluster of this file's own (slow to start: one per file).
const own = useOwnCluster()

/** How many keys starting with `prefix` each master holds (SCAN: a master's own keys, no redirect). */
async function keysPerMaster(prefix: string): Promise<number[]> {
  return (await own.keysOnMasters(`${prefix}*`)).map((keys) => keys.length)
}

describe('FlipList and FlipRanking on a Redis Cluster', () => {
  const { list, ranking } = useStructures(() => new Cluster(own.cluster.startupNodes))

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
    expect(await keysPerMaster(`${views.name}:`)).toEqual(own.masters.map(() => 0))
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
    expect(await keysPerMaster(`${scores.name}:`)).toEqual(own.masters.map(() => 0))
  })

  it('with hashTag every key of the namespace lives on one master', async () => {
    const views = list<number, number>({ maxLength: 2, keyType: 'int', valueType: 'int', hashTag: true })
    await Promise.all(Array.from({ length: 20 }, (_, key) => views.push(key, key)))
    const spread = await keysPerMaster(`{${views.name}}:`)
    expect(spread.filter((count) => count > 0)).toEqual([20])
    expect(await views.clear()).toBe(20)
  })
})
