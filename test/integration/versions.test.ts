import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import type { Invalidation } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'

describe('versioned namespaces (the `version` option)', () => {
  const { cache, client } = useCaches()
  let admin: Redis
  beforeAll(() => {
    admin = new Redis(inject('redisUrl'))
  })
  afterAll(() => admin.disconnect())

  /** Every Redis key that starts with `prefix` (this test's own names only). */
  async function keysOf(prefix: string): Promise<string[]> {
    return (await admin.keys(`${prefix}*`)).sort()
  }

  it('keeps entry k of version 2 at name:v2:k, and {name}:v2:k with hashTag', async () => {
    const name = uniqueName()
    const plain = cache<string, string>({ version: 2, valueType: 'string', sync: 'none' }, name)
    const tagged = cache<string, string>(
      { version: 'b', hashTag: true, valueType: 'string', sync: 'none' },
      name,
    )
    await plain.set('k', 'v')
    await tagged.set('k', 'w')
    expect(await admin.get(`${name}:v2:k`)).toBe('v')
    expect(await admin.get(`{${name}}:vb:k`)).toBe('w')
    expect(plain.version).toBe('2')
    expect(tagged.version).toBe('b')
  })

  it('puts hash buckets under name:v<version>:b: and getOrSet locks under _lock:name:v<version>:', async () => {
    const name = uniqueName()
    const buckets = cache<number, string>(
      { version: 3, keyType: 'int', valueType: 'string', storage: { kind: 'hash', bucketSize: 10 } },
      name,
    )
    await buckets.set(12, 'twelve')
    expect(await admin.hget(`${name}:v3:b:1`, '2')).not.toBeNull()
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const loading = buckets.getOrSet(40, async () => {
      await held
      return 'forty'
    })
    await vi.waitFor(async () => expect(await admin.exists(`_lock:${name}:v3:40`)).toBe(1))
    release()
    expect(await loading).toBe('forty')
  })

  it('never reads another version’s entries, nor an unversioned cache’s of the same name', async () => {
    const name = uniqueName()
    const options = { valueType: 'string', sync: 'none', localMax: 0 } as const
    const v1 = cache<string, string>({ ...options, version: 1 }, name)
    const v2 = cache<string, string>({ ...options, version: 2 }, name)
    const plain = cache<string, string>(options, name)
    await Promise.all([v1.set('k', 'one'), plain.set('k', 'plain')])
    expect(await v2.get('k')).toBeUndefined()
    await v2.set('k', 'two')
    expect(await Promise.all([v1.get('k'), v2.get('k'), plain.get('k')])).toEqual(['one', 'two', 'plain'])
  })

  it('lists and clears only its own version: not v1, not v20, not the unversioned name', async () => {
    const name = uniqueName()
    const options = { valueType: 'string', sync: 'none' } as const
    const v2 = cache<string, string>({ ...options, version: 2 }, name)
    const v20 = cache<string, string>({ ...options, version: 20 }, name)
    const v1 = cache<string, string>({ ...options, version: 1 }, name)
    const plain = cache<string, string>(options, name)
    await Promise.all([
      v2.setMany([
        ['a', 'A'],
        ['b', 'B'],
      ]),
      v20.set('c', 'C'),
      v1.set('d', 'D'),
      plain.set('e', 'E'),
    ])
    const keys: string[] = []
    for await (const key of v2.keys()) keys.push(key)
    const entries: [string, string][] = []
    for await (const entry of v2.entries()) entries.push(entry)
    expect(keys.sort()).toEqual(['a', 'b'])
    expect(entries.sort()).toEqual([
      ['a', 'A'],
      ['b', 'B'],
    ])
    await v2.clear()
    expect(await keysOf(`${name}:`)).toEqual([`${name}:e`, `${name}:v1:d`, `${name}:v20:c`])
  })

  it('hears invalidations from instances of its own version only (the channel is name:v<version>:__sync)', async () => {
    const name = uniqueName()
    const options = { valueType: 'string', maxStaleness: false } as const
    const writer = cache<string, string>({ ...options, version: 2, redis: client() }, name)
    const reader = cache<string, string>({ ...options, version: 2, redis: client() }, name)
    const old = cache<string, string>({ ...options, version: 1, redis: client() }, name)
    await Promise.all([writer.ready(), reader.ready(), old.ready()])
    const channels = await admin.pubsub('CHANNELS', `${name}*`)
    expect(channels.sort()).toEqual([`${name}:v1:__sync`, `${name}:v2:__sync`])
    const heard: Invalidation<string>[] = []
    reader.on('invalidate', (invalidation) => heard.push(invalidation))
    await writer.set('k', 'first')
    await vi.waitFor(() => expect(heard).toEqual([{ keys: ['k'], origin: 'remote' }]))
    expect(await reader.get('k')).toBe('first')
    heard.length = 0
    // The old version's write is published before the new one's: had the reader heard it, it would
    // have heard it first.
    await old.set('k', 'old')
    await writer.set('k', 'second')
    await vi.waitFor(() => expect(heard).toEqual([{ keys: ['k'], origin: 'remote' }]))
    expect(await reader.get('k')).toBe('second')
  })

  it('wakes getOrSet waiters on the version’s own lock channel, name:v<version>:__lock', async () => {
    const name = uniqueName()
    const options = { version: 2, valueType: 'string', sync: 'none' } as const
    const holder = cache<string, string>({ ...options, redis: client() }, name)
    const waiter = cache<string, string>({ ...options, redis: client() }, name)
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const loading = holder.getOrSet('k', async () => {
      await held
      return 'loaded'
    })
    await vi.waitFor(async () => expect(await admin.exists(`_lock:${name}:v2:k`)).toBe(1))
    const waiting = waiter.getOrSet('k', () => 'not this one')
    await vi.waitFor(async () =>
      expect(await admin.pubsub('CHANNELS', `${name}*`)).toEqual([`${name}:v2:__lock`]),
    )
    release()
    expect(await Promise.all([loading, waiting])).toEqual(['loaded', 'loaded'])
  })

  it("speaks redis_pubsub_dict's channels as the namespace name:v<version>", async () => {
    const name = uniqueName()
    const dict = cache({ version: 2, pubsubDictChannels: true, maxStaleness: false }, name)
    await dict.ready()
    const channels = await admin.pubsub('CHANNELS', `${name}*`)
    expect(channels.sort()).toEqual([`${name}:v2/delete`, `${name}:v2/update`, `${name}:v2:__sync`])
  })
})

describe('clearVersions()', () => {
  const { cache } = useCaches()
  let admin: Redis
  beforeAll(() => {
    admin = new Redis(inject('redisUrl'))
  })
  afterAll(() => admin.disconnect())

  it('removes the old versions it is given (strings and buckets), and nothing of any other namespace', async () => {
    const name = uniqueName()
    const options = { valueType: 'string', sync: 'none' } as const
    const current = cache<string, string>({ ...options, version: 3 }, name)
    const v1 = cache<string, string>({ ...options, version: 1 }, name)
    const v2 = cache<number, string>(
      { ...options, version: 2, keyType: 'int', storage: { kind: 'hash', bucketSize: 10 } },
      name,
    )
    const v10 = cache<string, string>({ ...options, version: 10 }, name)
    const plain = cache<string, string>(options, name)
    const vip = cache<string, string>(options, `${name}:vip`)
    const longer = cache<string, string>({ ...options, version: 1 }, `${name}x`)
    const olds = Array.from({ length: 600 }, (_, index): [string, string] => [`k${index}`, 'old'])
    await Promise.all([
      current.set('k', 'current'),
      v1.setMany(olds),
      v2.setMany([
        [1, 'one'],
        [25, 'twenty-five'],
      ]),
      v10.set('k', 'ten'),
      plain.setMany([
        ['v1', 'a key named v1'],
        ['k', 'plain'],
      ]),
      vip.set('k', 'vip'),
      longer.set('k', 'longer'),
    ])
    expect(await current.clearVersions([1, '2'])).toBe(602)
    const left = [...(await admin.keys(`${name}:*`)), ...(await admin.keys(`${name}x:*`))].sort()
    expect(left).toEqual(
      [`${name}:v3:k`, `${name}:v10:k`, `${name}:v1`, `${name}:k`, `${name}:vip:k`, `${name}x:v1:k`].sort(),
    )
    expect(await current.get('k')).toBe('current')
    expect(await current.clearVersions([1, 2])).toBe(0)
  })

  it('clears the versions of its own hashTag form: {name}:v<old>:*', async () => {
    const name = uniqueName()
    const options = { valueType: 'string', sync: 'none', hashTag: true } as const
    const current = cache<string, string>({ ...options, version: 'b' }, name)
    const old = cache<string, string>({ ...options, version: 'a' }, name)
    const untagged = cache<string, string>({ valueType: 'string', sync: 'none', version: 'a' }, name)
    await Promise.all([current.set('k', 'b'), old.set('k', 'a'), untagged.set('k', 'untagged')])
    expect(await current.clearVersions(['a'])).toBe(1)
    expect(await admin.exists(`{${name}}:va:k`, `{${name}}:vb:k`, `${name}:va:k`)).toBe(2)
  })

  it('refuses its own version, a cache without version, and anything but an array of versions', async () => {
    const name = uniqueName()
    const versioned = cache({ sync: 'none', version: 2 }, name)
    const plain = cache({ sync: 'none' }, name)
    await expect(versioned.clearVersions([1, 2])).rejects.toThrow(
      new TypeError(
        `Expected clearVersions() to get old versions only, got \`2\` (number): FlipCache \`${name}\` is version 2`,
      ),
    )
    await expect(versioned.clearVersions(['2'])).rejects.toThrow(/old versions only, got `'2'` \(string\)/)
    await expect(plain.clearVersions([1])).rejects.toThrow(/needs a cache with a `version`/)
    for (const bad of [undefined, null, 1, 'v1', { 0: 1 }]) {
      await expect(versioned.clearVersions(bad as never)).rejects.toThrow(TypeError)
    }
    await expect(versioned.clearVersions(1 as never)).rejects.toThrow(
      /an array of versions, got `1` \(number\)/,
    )
    for (const bad of ['', '1:2', '*', 'a b', -1, 1.5, null, {}]) {
      await expect(versioned.clearVersions([bad as never])).rejects.toThrow(
        /Expected a version to clear to be/,
      )
    }
  })

  it('rejects with E_CLOSED once the cache is closed', async () => {
    const closed = cache({ sync: 'none', version: 2 })
    await closed.close()
    await expect(closed.clearVersions([1])).rejects.toMatchObject({ code: 'E_CLOSED' })
  })
})
