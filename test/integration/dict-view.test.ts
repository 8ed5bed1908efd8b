import { inspect } from 'node:util'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DictWriteError, FlipCache, type FlipCacheError } from '../../src/index.js'
import { uniqueName, useCaches } from '../support/cache-builder.js'
import { gate } from '../support/fake-clock.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'

describe('asDict() on a real Redis', () => {
  const { cache, client } = useCaches()

  it('reads through L1 then Redis, as get() does: a miss is undefined', async () => {
    const name = uniqueName('dict')
    const writer = cache<number, string>({ keyType: 'int', valueType: 'string' }, name)
    await writer.set(15, 'Ada')
    const users = cache<number, string>(
      { keyType: 'int', valueType: 'string', redis: client() },
      name,
    ).asDict()
    expect(await users[15]).toBe('Ada')
    expect(await (users as unknown as Record<string, Promise<string>>)['015']).toBe('Ada')
    expect(await users[16]).toBeUndefined()
  })

  it('a miss reads as valueDefault, which is not written (unlike Python flipcache)', async () => {
    const name = uniqueName('dict')
    const counts = new FlipCache(name, { redis: client(), keyType: 'int', valueType: 'int', valueDefault: 0 })
    try {
      const view = counts.asDict()
      expect(await view[1]).toBe(0)
      expect(await counts.has(1)).toBe(false)
    } finally {
      await counts.close()
    }
  })

  it('a write is visible to the view at once, and to a second instance once dictSettled() resolved', async () => {
    const name = uniqueName('dict')
    const here = cache<number, { name: string }>({ keyType: 'int', valueType: 'json' }, name)
    const there = cache<number, { name: string }>(
      { keyType: 'int', valueType: 'json', redis: client() },
      name,
    )
    const users = here.asDict()
    const ada = { name: 'Ada' }
    users[15] = ada
    ada.name = 'changed after the write'
    expect(15 in users).toBe(true)
    // The view keeps what a read from Redis would return, not the caller's object.
    expect(await users[15]).toEqual({ name: 'Ada' })
    await here.dictSettled()
    expect(await there.get(15)).toEqual({ name: 'Ada' })
    expect(here.peek(15)).toEqual({ name: 'Ada' })
  })

  it('writes of one key keep their order: the last one is in Redis and L1', async () => {
    const name = uniqueName('dict')
    const here = cache<string, string>({ valueType: 'string' }, name)
    const there = cache<string, string>({ valueType: 'string', redis: client() }, name)
    const view = here.asDict()
    for (let round = 0; round < 50; round++) view.k = `v${round}`
    delete view.gone
    view.gone = 'back'
    delete view.gone
    expect(await view.k).toBe('v49')
    await here.dictSettled()
    expect(await there.get('k')).toBe('v49')
    expect(here.peek('k')).toBe('v49')
    expect(await there.has('gone')).toBe(false)
    expect('gone' in view).toBe(false)
  })

  it('with writeThrough, a later write of a key wins even when its source answers first', async () => {
    const name = uniqueName('dict')
    const firstWrite = gate()
    const sourced: string[] = []
    const here = new FlipCache(name, {
      redis: client(),
      valueType: 'string',
      writeThrough: {
        write: async (entries: [string, string][]) => {
          const [[, value] = ['', '']] = entries
          if (value === 'first') await firstWrite.opened
          sourced.push(value)
        },
        delete: () => {},
      },
    })
    try {
      const there = cache<string, string>({ valueType: 'string' }, name)
      const view = here.asDict()
      view.k = 'first'
      view.k = 'second'
      expect(await view.k).toBe('second')
      firstWrite.open()
      await here.dictSettled()
      expect(sourced).toEqual(['first', 'second'])
      expect(await there.get('k')).toBe('second')
      expect(here.peek('k')).toBe('second')
    } finally {
      await here.close()
    }
  })

  it('close() waits for a pending write at most `timeout` (a writeThrough source that never answers)', async () => {
    const never = gate()
    const items = new FlipCache(uniqueName('dict'), {
      redis: client(),
      valueType: 'string',
      timeout: 200,
      writeThrough: { write: () => never.opened, delete: () => {} },
    })
    const view = items.asDict()
    view.k = 'v'
    const startedAt = performance.now()
    await items.close()
    // A bound on blocking, generous for a loaded machine: it tells 200 ms from never.
    expect(performance.now() - startedAt).toBeLessThan(3_200)
    expect(() => view.k).toThrow(expect.objectContaining({ code: 'E_CLOSED' }))
  })

  it('a delete is visible to the view at once, and reaches Redis and the other instances', async () => {
    const name = uniqueName('dict')
    const here = cache<string, string>({ valueType: 'string' }, name)
    const there = cache<string, string>({ valueType: 'string', redis: client() }, name)
    await here.set('k', 'v')
    expect(await there.get('k')).toBe('v')
    const view = here.asDict()
    expect('k' in view).toBe(true)
    delete view.k
    expect('k' in view).toBe(false)
    expect(await view.k).toBeUndefined()
    await here.dictSettled()
    expect(await here.has('k')).toBe(false)
    await vi.waitFor(() => expect(there.peek('k')).toBeUndefined())
    expect(await there.get('k')).toBeUndefined()
  })

  it('`in` answers from this process: a key only in Redis is not in the view until read', async () => {
    const name = uniqueName('dict')
    const writer = cache<string, string>({ valueType: 'string' }, name)
    await writer.set('k', 'v')
    const reader = cache<string, string>({ valueType: 'string', redis: client() }, name)
    const view = reader.asDict()
    expect('k' in view).toBe(false)
    expect(await reader.has('k')).toBe(true)
    expect(await view.k).toBe('v')
    expect('k' in view).toBe(true)
  })

  it('the view is one per cache', () => {
    const items = cache<string, string>({ valueType: 'string' })
    expect(items.asDict()).toBe(items.asDict())
  })

  it('`in` is refused on a cache without L1', () => {
    const view = cache<string, string>({ valueType: 'string', localMax: 0 }).asDict()
    expect(() => 'k' in view).toThrow(/L1 alone.*localMax 0.*cache\.has/)
  })

  it('every reserved name and symbol is refused or answered as an object without it, never read from Redis', async () => {
    const name = uniqueName('dict')
    const items = cache<string, string>({ valueType: 'string' }, name)
    const view = items.asDict()
    const reserved = [
      '__proto__',
      'constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'isPrototypeOf',
      'propertyIsEnumerable',
      'toLocaleString',
      '__defineGetter__',
      '__defineSetter__',
      '__lookupGetter__',
      '__lookupSetter__',
      'inspect',
    ]
    for (const key of reserved) {
      expect(() => view[key], key).toThrow(new RegExp(`cannot read \`${key}\``))
      expect(() => {
        view[key] = 'v'
      }, key).toThrow(TypeError)
      expect(() => delete view[key], key).toThrow(TypeError)
      expect(() => key in view, key).toThrow(TypeError)
    }
    // `then` reads as absent, so the view is no thenable; it is refused as a key otherwise.
    expect(view.then).toBeUndefined()
    expect(await Promise.resolve(view)).toBe(view)
    const then = 'then'
    expect(() => {
      view[then] = 'v'
    }).toThrow(/cannot write `then`/)
    expect(() => delete view.then).toThrow(/cannot delete `then`/)
    expect(() => 'then' in view).toThrow(/`then`/)
    expect(() => view.toJSON).toThrow(/JSON/)
    expect(() => JSON.stringify(view)).toThrow(/JSON/)
    // Symbols read as absent and are refused as keys.
    const tag = Symbol('tag')
    const record = view as unknown as Record<symbol, unknown>
    expect(record[tag]).toBeUndefined()
    expect(record[Symbol.iterator]).toBeUndefined()
    expect(record[inspect.custom]).toBeUndefined()
    expect(tag in view).toBe(false)
    expect(() => {
      record[tag] = 'v'
    }).toThrow(/symbol/)
    expect(() => delete record[tag]).toThrow(/symbol/)
    expect(() => `${view}`).toThrow(TypeError)
    expect(() => [...(view as unknown as string[])]).toThrow(TypeError)
    expect(inspect(view)).toContain(name)
    // Nothing of it reached Redis.
    const keys: string[] = []
    for await (const key of items.keys()) keys.push(key)
    expect(keys).toEqual([])
    expect(items.stats()).toMatchObject({ misses: 0, sets: 0 })
  })

  it('listing, describing, defining, freezing and re-prototyping the view are TypeErrors', () => {
    const view = cache<string, string>({ valueType: 'string' }).asDict()
    expect(() => Object.keys(view)).toThrow(/cache\.entries\(\)/)
    expect(() => ({ ...view })).toThrow(TypeError)
    expect(() => {
      for (const key in view) expect(key).toBeUndefined()
    }).toThrow(TypeError)
    expect(() => Object.hasOwn(view, 'k')).toThrow(TypeError)
    expect(() => Object.defineProperty(view, 'k', { value: 'v' })).toThrow(/view\[key\] = value/)
    expect(() => Object.setPrototypeOf(view, {})).toThrow(/prototype/)
    expect(() => Object.freeze(view)).toThrow(TypeError)
    expect(Object.getPrototypeOf(view)).toBeNull()
  })

  it('a property that is no key of the key type, or a bad value, is a TypeError from the expression', () => {
    const view = cache<number, number>({ keyType: 'int', valueType: 'int' }).asDict()
    const loose = view as unknown as Record<string, unknown>
    expect(() => loose.abc).toThrow(/no key `'abc'`/)
    expect(() => {
      loose['1.5'] = 1
    }).toThrow(/no key `'1.5'`/)
    expect(() => {
      loose[1] = 'not an int'
    }).toThrow(TypeError)
    expect(() => {
      loose[1] = Promise.resolve(1)
    }).toThrow(/await it first/)
    const strings = cache<string, string>({ valueType: 'string' }).asDict()
    expect(() => strings['']).toThrow(/no key `''`/)
  })

  it("close() lets the view's writes land first; after it, reads, writes, deletes and `in` throw E_CLOSED", async () => {
    const name = uniqueName('dict')
    const items = cache<string, string>({ valueType: 'string' }, name)
    const other = cache<string, string>({ valueType: 'string', redis: client() }, name)
    const view = items.asDict()
    view.k = 'v'
    delete view.gone
    await items.close()
    await items.dictSettled()
    expect(await other.get('k')).toBe('v')
    for (const use of [
      () => view.k,
      () => {
        view.k = 'v'
      },
      () => delete view.k,
      () => 'k' in view,
    ]) {
      expect(use).toThrow(expect.objectContaining({ code: 'E_CLOSED' }))
    }
    expect(() => items.asDict()).toThrow(expect.objectContaining({ code: 'E_CLOSED' }))
  })
})

describe('asDict() while Redis is down', () => {
  let server: RedisServer
  beforeAll(async () => {
    server = await startRedisServer()
  })
  afterAll(() => server.stop())
  const { cache, client } = useCaches(() => server.url)

  it('a failed write leaves no L1 copy, goes to the error event and rejects dictSettled() once', async () => {
    const redis = client()
    const items = cache<string, string>({ redis, valueType: 'string', timeout: 200 })
    const view = items.asDict()
    view.k = 'old'
    await items.dictSettled()
    expect(items.peek('k')).toBe('old')
    const reported: FlipCacheError[] = []
    items.on('error', (error) => reported.push(error))
    await server.stop()
    let failure: unknown
    try {
      await vi.waitFor(() => expect(redis.status).not.toBe('ready'), { timeout: 10_000 })
      view.k = 'new'
      delete view.other
      expect(await view.k).toBe('new')
      failure = await items.dictSettled().then(
        () => undefined,
        (error: unknown) => error,
      )
    } finally {
      await server.restart()
    }
    expect(failure).toBeInstanceOf(AggregateError)
    const errors = (failure as AggregateError).errors as DictWriteError[]
    expect(errors.map((error) => [error.code, error.key, error.operation]).sort()).toEqual([
      ['E_DICT_WRITE', 'k', 'set'],
      ['E_DICT_WRITE', 'other', 'delete'],
    ])
    for (const error of errors) {
      expect(error).toBeInstanceOf(DictWriteError)
      expect(['E_REDIS', 'E_TIMEOUT']).toContain((error.cause as FlipCacheError).code)
    }
    // (The cache reports its sync channel going unheard too.)
    await vi.waitFor(() => expect(reported.filter((error) => error.code === 'E_DICT_WRITE')).toHaveLength(2))
    // L1 claims neither value: Redis may have either.
    expect(items.peek('k')).toBeUndefined()
    expect('k' in view).toBe(false)
    // Each failure is reported by one dictSettled().
    await items.dictSettled()
    // Once Redis is back, the view writes again.
    await vi.waitFor(
      () => {
        view.k = 'again'
        return items.dictSettled()
      },
      { timeout: 10_000 },
    )
    const checker = new Redis(server.url)
    try {
      await vi.waitFor(async () => expect(await checker.get(`${items.name}:k`)).toBe('again'), {
        timeout: 10_000,
      })
    } finally {
      checker.disconnect()
    }
  })
})
