import { createClient } from '@redis/client'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { expectTypeError } from '../unit/expect-type-error.js'

async function keysMatching(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    found.push(...keys)
    cursor = next
  } while (cursor !== '0')
  return found
}

describe('the redis option against a real server', () => {
  const { client } = useCaches()
  const ended: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    await Promise.all(ended.splice(0).map((end) => end()))
  })

  it('a connected ioredis client with keyPrefix is refused before the cache writes anything', async () => {
    const prefixed = new Redis(inject('redisUrl'), { keyPrefix: 'app:' })
    ended.push(() => prefixed.quit())
    // The prefix is real: ioredis puts it before the keys of commands, not into SCAN patterns.
    const probe = uniqueName('probe')
    await prefixed.set(probe, '1')
    const plain = client()
    expect(await keysMatching(plain, `*${probe}`)).toEqual([`app:${probe}`])
    expect(await keysMatching(prefixed, `${probe}*`)).toEqual([])

    const name = uniqueName()
    expectTypeError(() => new FlipCache<string, string>(name, { redis: prefixed }), "keyPrefix 'app:'")
    expect(await keysMatching(plain, `*${name}*`)).toEqual([])
    // The client is the caller's and untouched: still connected and usable.
    expect(await prefixed.get(probe)).toBe('1')
  })

  it('a connected node-redis client is refused, and the client keeps working', async () => {
    const nodeRedis = createClient({ url: inject('redisUrl') })
    await nodeRedis.connect()
    ended.push(() => nodeRedis.close())
    expectTypeError(
      // @ts-expect-error a node-redis client is not a RedisInput
      () => new FlipCache(uniqueName(), { redis: nodeRedis }),
      'got a node-redis client',
    )
    const key = uniqueName('node-redis')
    await nodeRedis.set(key, 'v')
    expect(await nodeRedis.get(key)).toBe('v')
  })
})
