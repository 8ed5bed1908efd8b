import { describe, expect, it } from 'vitest'
import { uniqueName, useClusterCaches } from '../support/cache-builder.js'
import { prefixedBuckets, type Tuple } from '../support/dogpile-buckets.js'
import { useOwnCluster } from '../support/own-cluster.js'

// dogpile's hstore on a Redis Cluster: each bucket is one key in its own slot, named by the user.
const own = useOwnCluster()

describe("dogpile-style buckets (bucketPrefix, entryExpiry 'bucket') on a Redis Cluster", () => {
  const { cache } = useClusterCaches(() => own.cluster.startupNodes)
  const hstore = (prefix: string) =>
    cache<Tuple, string>({
      keyType: 'json',
      valueType: 'msgpack',
      storage: prefixedBuckets(prefix),
      bucketExpire: 'on-create',
      expireTime: '60s',
    })

  it('writes, reads, lists and clears buckets spread over every master', async () => {
    const prefix = `${uniqueName('user')}-`
    const users = hstore(prefix)
    const entries = Array.from({ length: 60 }, (_, id): [Tuple, string] => [
      [`${prefix}${id}`, 'posts'],
      `p${id}`,
    ])
    await users.setMany(entries)
    const perMaster = (await own.keysOnMasters(`${prefix}*`)).map((keys) => keys.length)
    expect(perMaster.every((count) => count > 0)).toBe(true)
    expect(await users.getMany(entries.map(([key]) => key))).toEqual(entries.map(([, value]) => value))
    const pttls = await Promise.all(entries.slice(0, 3).map(([key]) => users.ttl(key)))
    for (const pttl of pttls) expect(Math.ceil((pttl as number) / 1000)).toBe(60)
    const listed: string[] = []
    for await (const [key] of users.entries()) listed.push(key[0])
    expect(listed.sort()).toEqual(entries.map(([key]) => key[0]).sort())
    await users.clear()
    expect((await own.keysOnMasters(`${prefix}*`)).flat()).toEqual([])
  })

  it('stores each field as the msgpack bytes alone, in bucket keys named by the prefix', async () => {
    const prefix = `${uniqueName('user')}-`
    await hstore(prefix).set([`${prefix}15`, 'posts'], 'Ada')
    const found = (await own.keysOnMasters(`${prefix}*`)).flat()
    expect(found).toEqual([`${prefix}15`])
    // The master that owns the slot answers; the others reply MOVED.
    const values = await Promise.all(
      own.masters.map((master) => master.hgetBuffer(`${prefix}15`, 'posts').catch(() => null)),
    )
    expect(values.filter((value) => value !== null).map((value) => value?.toString('hex'))).toEqual([
      'a3416461',
    ])
  })
})
