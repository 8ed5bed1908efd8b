import { Redis } from 'ioredis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { CacheClosedError, FlipCache } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'

describe('FlipCache lifecycle', () => {
  const { cache, client } = useCaches()
  const savedRedisUrl = process.env.REDIS_URL
  afterEach(() => {
    if (savedRedisUrl === undefined) delete process.env.REDIS_URL
    else process.env.REDIS_URL = savedRedisUrl
  })

  it('close() is idempotent and every later call rejects with E_CLOSED', async () => {
    const items = cache<string, string>({ valueType: 'string' })
    await items.set('k', 'v')
    const first = items.close()
    expect(items.close()).toBe(first)
    await first
    const calls: (() => Promise<unknown>)[] = [
      () => items.get('k'),
      () => items.getMany(['k']),
      () => items.has('k'),
      () => items.set('k', 'v'),
      () => items.setMany([['k', 'v']]),
      () => items.delete('k'),
      () => items.deleteMany(['k']),
      () => items.ttl('k'),
      () => items.clear(),
      () => items.keys().next(),
      () => items.entries().next(),
    ]
    for (const call of calls) {
      const error = await call().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(CacheClosedError)
      expect(error).toMatchObject({ code: 'E_CLOSED' })
    }
    expect(() => items.peek('k')).toThrow(CacheClosedError)
    expect(items.stats().localSize).toBe(0)
  })

  it('close() leaves a client the user passed in open', async () => {
    const redis = client()
    const items = cache<string, string>({ redis, valueType: 'string' })
    await items.set('k', 'v')
    await items.close()
    expect(redis.status).toBe('ready')
    expect(await redis.get(`${items.name}:k`)).toBe('v')
  })

  it('a cache given a URL opens its own client and closes it in close()', async () => {
    const items = new FlipCache<string, string>(uniqueName(), {
      redis: inject('redisUrl'),
      valueType: 'string',
    })
    await items.set('k', 'v')
    expect(await items.get('k')).toBe('v')
    await items.close()
    const error = await items.get('k').catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'E_CLOSED' })
  })

  it('a cache given ioredis options opens its own client', async () => {
    const port = Number(new URL(inject('redisUrl')).port)
    const items = new FlipCache<string, string>(uniqueName(), {
      redis: { host: '127.0.0.1', port },
      valueType: 'string',
    })
    try {
      await items.set('k', 'v')
      expect(await client().get(`${items.name}:k`)).toBe('v')
    } finally {
      await items.close()
    }
  })

  it('without a redis option, a cache connects to REDIS_URL', async () => {
    process.env.REDIS_URL = inject('redisUrl')
    const items = new FlipCache<string, string>(uniqueName(), { valueType: 'string' })
    try {
      await items.set('k', 'v')
      expect(await client().get(`${items.name}:k`)).toBe('v')
    } finally {
      await items.close()
    }
  })

  it('Symbol.asyncDispose closes the cache (await using)', async () => {
    let disposed: FlipCache<string, string> | undefined
    {
      await using items = new FlipCache<string, string>(uniqueName(), {
        redis: inject('redisUrl'),
        valueType: 'string',
      })
      await items.set('k', 'v')
      disposed = items
    }
    await expect(disposed.get('k')).rejects.toMatchObject({ code: 'E_CLOSED' })
  })

  it('many caches can share one client, each in its own namespace', async () => {
    const redis = new Redis(inject('redisUrl'))
    try {
      const users = new FlipCache<number, string>(uniqueName('users'), {
        redis,
        keyType: 'int',
        valueType: 'string',
      })
      const posts = new FlipCache<number, string>(uniqueName('posts'), {
        redis,
        keyType: 'int',
        valueType: 'string',
      })
      await Promise.all([users.set(1, 'ada'), posts.set(1, 'hello')])
      expect(await Promise.all([users.get(1), posts.get(1)])).toEqual(['ada', 'hello'])
      await Promise.all([users.close(), posts.close()])
      expect(redis.status).toBe('ready')
    } finally {
      redis.disconnect()
    }
  })
})
