import calculateSlot from 'cluster-key-slot'
import { describe, expect, it } from 'vitest'
import { uniqueName, useClusterCaches } from '../support/cache-builder.js'
import { describeContract } from '../support/contract-suite.js'
import { useOwnCluster } from '../support/own-cluster.js'

// Versioned namespaces on a real 3-master, 3-replica cluster of this file's own.
const own = useOwnCluster()
const { keysOnMasters } = own

describeContract('a Redis Cluster, versioned', () => useClusterCaches(() => own.cluster.startupNodes), {
  version: 7,
})

describe('versioned namespaces on a Redis Cluster', () => {
  const { cache } = useClusterCaches(() => own.cluster.startupNodes)

  it('clearVersions() removes an old version spread over every master, and keeps the current one', async () => {
    const name = uniqueName()
    const options = { keyType: 'int', valueType: 'string', sync: 'none' } as const
    const old = cache<number, string>({ ...options, version: 1 }, name)
    const current = cache<number, string>({ ...options, version: 2 }, name)
    const entries = Array.from({ length: 300 }, (_, index): [number, string] => [index, `value ${index}`])
    await Promise.all([old.setMany(entries), current.setMany(entries)])
    const before = await keysOnMasters(`${name}:v1:*`)
    // The old version is spread: every master holds some of it, so the clear must visit each.
    expect(before.every((keys) => keys.length > 0)).toBe(true)
    expect(await current.clearVersions([1])).toBe(300)
    expect((await keysOnMasters(`${name}:v1:*`)).flat()).toEqual([])
    expect((await keysOnMasters(`${name}:v2:*`)).flat()).toHaveLength(300)
    expect(await current.getMany([0, 299])).toEqual(['value 0', 'value 299'])
  })

  it('with hashTag, every version of the name lives in the name’s slot', async () => {
    const name = uniqueName()
    const options = { valueType: 'string', sync: 'none', hashTag: true } as const
    const old = cache<string, string>({ ...options, version: 'a' }, name)
    const current = cache<string, string>({ ...options, version: 'b' }, name)
    await Promise.all([
      old.set('k', 'a'),
      current.setMany([
        ['k', 'b'],
        ['l', 'b'],
      ]),
    ])
    const found = (await keysOnMasters(`{${name}}:*`)).flat().sort()
    expect(found).toEqual([`{${name}}:va:k`, `{${name}}:vb:k`, `{${name}}:vb:l`])
    expect(new Set(found.map((key) => calculateSlot(key)))).toEqual(new Set([calculateSlot(name)]))
    expect(await current.getMany(['k', 'l'])).toEqual(['b', 'b'])
    expect(await current.clearVersions(['a'])).toBe(1)
    expect((await keysOnMasters(`{${name}}:*`)).flat().sort()).toEqual([`{${name}}:vb:k`, `{${name}}:vb:l`])
  })
})
