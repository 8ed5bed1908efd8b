import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FlipCacheError } from '../../src/index.js'
import { type RedisServer, startRedisServer } from '../support/redis-server.js'
import { useStructures } from '../support/structure-builder.js'

// These tests stop and suspend Redis, so they run on a server of their own.
let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(() => server.stop())

const timeout = 200
/** A failing call must settle within this: `timeout` and seconds to spare for a loaded machine (it tells bounded from hanging). */
const noHangMs = timeout + 3_000

async function expectFastFailure(call: () => Promise<unknown>, code: string): Promise<void> {
  const startedAt = performance.now()
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FlipCacheError)
  expect((error as FlipCacheError).code).toBe(code)
  expect(performance.now() - startedAt).toBeLessThan(noHangMs)
}

async function eventually<T>(attempt: () => Promise<T>, withinMs = 10_000): Promise<T> {
  const deadline = Date.now() + withinMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

describe('FlipList and FlipRanking with Redis down', () => {
  const { list, ranking, client } = useStructures(() => new Redis(server.url))

  it('every call fails fast with E_REDIS while Redis is stopped, and works again once it is back', async () => {
    const redis = client()
    const views = list<string, number>({ redis, maxLength: 3, valueType: 'int', timeout })
    const scores = ranking({ redis, maxSize: 5, timeout })
    await views.push('k', 1)
    await scores.increment('k', 'a')
    await server.stop()
    await eventually(async () => expect(redis.status).not.toBe('ready'))
    try {
      const calls: (() => Promise<unknown>)[] = [
        () => views.push('k', 2),
        () => views.range('k'),
        () => views.lengths(['k', 'j']),
        () => views.clear(),
        async () => {
          for await (const key of views.keys()) expect(key).toBeUndefined()
        },
        () => scores.increment('k', 'a'),
        () => scores.top('k', 3),
        () => scores.rank('k', 'a'),
        () => scores.remove('k', 'a'),
      ]
      await Promise.all(calls.map((call) => expectFastFailure(call, 'E_REDIS')))
    } finally {
      await server.restart()
    }
    // The test server keeps nothing across a restart; the writes that failed were never sent, so
    // they are not applied late either.
    expect(await eventually(() => views.push('k', 3))).toBe(1)
    expect(await views.range('k')).toEqual([3])
    expect(await scores.increment('k', 'b')).toBe(1)
    expect(await scores.top('k', 3)).toEqual([{ member: 'b', score: 1 }])
  })

  it('a Redis that stops answering gives E_TIMEOUT after `timeout`', async () => {
    const views = list<string, number>({ maxLength: 3, valueType: 'int', timeout })
    const scores = ranking({ timeout })
    await views.push('k', 1)
    server.freeze()
    try {
      await expectFastFailure(() => views.push('k', 2), 'E_TIMEOUT')
      await expectFastFailure(() => scores.increment('k', 'a'), 'E_TIMEOUT')
    } finally {
      server.thaw()
    }
    // A write that timed out may still land once Redis catches up: the list holds 1 and maybe 2.
    expect(await eventually(() => views.range('k', -1))).toEqual([1])
  })
})
