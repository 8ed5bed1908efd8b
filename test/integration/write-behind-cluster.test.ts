import calculateSlot from 'cluster-key-slot'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WriteBehindChange } from '../../src/index.js'
import { uniqueName, useClusterCaches } from '../support/cache-builder.js'
import { type RedisCluster, startRedisCluster } from '../support/redis-cluster.js'

let cluster: RedisCluster
// Six servers, a cluster create and the first syncs get a minute on a loaded machine.
beforeAll(async () => {
  cluster = await startRedisCluster(5_000)
}, 60_000)
afterAll(async () => {
  await cluster?.stop()
})

describe('writeBehind and writeThrough on a Redis Cluster', () => {
  const { cache, sharedClient } = useClusterCaches(() => cluster.startupNodes)

  it('writeBehind without hashTag is refused: each value and its queue entry must share a slot', () => {
    expect(() => cache({ writeBehind: { flush: () => {} } })).toThrow(
      '`writeBehind` on a Redis Cluster needs `hashTag: true`',
    )
  })

  it('with hashTag, values and queue entries are written in one script and flushed', async () => {
    const batches: WriteBehindChange<string, number>[][] = []
    const name = uniqueName()
    const counts = cache<string, number>(
      { valueType: 'int', hashTag: true, writeBehind: { flush: (changes) => void batches.push(changes) } },
      name,
    )
    expect(calculateSlot(`_wb:{${name}}:queue`)).toBe(calculateSlot(`{${name}}:a`))
    await counts.setMany([
      ['a', 1],
      ['b', 2],
    ])
    await counts.set('a', 3)
    expect(await counts.delete('b')).toBe(true)
    expect(await sharedClient().get(`{${name}}:a`)).toBe('3')
    expect(await counts.flushNow()).toBe(0)
    expect(batches.flat()).toEqual([
      { op: 'set', key: 'a', value: 3 },
      { op: 'delete', key: 'b' },
    ])
  })

  it('writeThrough needs no hashTag: the source first, then each key on its own shard', async () => {
    const rows = new Map<string, string>()
    const users = cache<string, string>({
      valueType: 'string',
      writeThrough: {
        write: (entries) => {
          for (const [key, value] of entries) rows.set(key, value)
        },
        delete: (keys) => {
          for (const key of keys) rows.delete(key)
        },
      },
    })
    await users.setMany(
      Array.from({ length: 20 }, (_, index): [string, string] => [`k${index}`, `v${index}`]),
    )
    expect(rows.size).toBe(20)
    expect(await users.get('k7')).toBe('v7')
    expect(await users.deleteMany(['k1', 'k2'])).toBe(2)
    expect(rows.has('k1')).toBe(false)
  })
})
