import { Redis } from 'ioredis'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { ErrorLogFields, FlipCacheLogger } from '../../src/error-reporter.js'
import { FlipCache, type FlipCacheError } from '../../src/index.js'
import { uniqueName } from '../support/cache-builder.js'
import { useOwnServer } from '../support/own-server.js'

// These tests stop and restart Redis, so they run on a server of their own.
const own = useOwnServer()
// The admin client of the helper reconnects during outages: its errors are expected.
beforeAll(() => {
  own.admin.on('error', () => {})
})

/** 50 calls over about 2 s (5 every 200 ms, getOrSet and get in turns, on 10 keys), each settling (served or rejected). */
async function callsDuringOutage(cache: FlipCache<string, string>): Promise<void> {
  const calls: Promise<unknown>[] = []
  for (let index = 0; index < 50; index++) {
    const key = `k${index % 10}`
    const call = index % 2 === 0 ? cache.getOrSet(key, async () => 'loaded') : cache.get(key)
    calls.push(call.catch(() => {}))
    if (index % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await Promise.all(calls)
}

function openCache(redis: Redis, logger?: FlipCacheLogger): FlipCache<string, string> {
  return new FlipCache<string, string>(uniqueName('reports'), {
    redis,
    valueType: 'string',
    timeout: 200,
    sync: 'none',
    // Every call goes to Redis (no L1 copy answers a getOrSet during the outage).
    localMax: 0,
    circuitBreaker: false,
    ...(logger === undefined ? {} : { logger }),
  })
}

describe('error reports during a Redis outage', () => {
  it("an 'error' listener gets about one line per code per second, each naming operation, key and server; a second outage is reported again", {
    timeout: 40_000,
  }, async () => {
    const redis = new Redis(own.server.url)
    redis.on('error', () => {})
    const cache = openCache(redis)
    const heard: { at: number; error: FlipCacheError }[] = []
    cache.on('error', (error) => heard.push({ at: performance.now(), error }))
    try {
      await cache.set('k0', 'v')
      const server = `127.0.0.1:${own.server.port}`
      for (const outage of [1, 2]) {
        const from = heard.length
        await own.server.stop()
        await vi.waitFor(() => expect(redis.status).not.toBe('ready'), { timeout: 10_000 })
        const startedAt = performance.now()
        await callsDuringOutage(cache)
        const seconds = (performance.now() - startedAt) / 1000
        await own.server.restart()
        await vi.waitFor(() => expect(redis.status).toBe('ready'), { timeout: 10_000 })
        // The window still open when the outage ended delivers what it held.
        await new Promise((resolve) => setTimeout(resolve, 1_100))
        const lines = heard.slice(from)
        // 25 getOrSet calls failed to read Redis (each reported) and 25 gets were rejected (not
        // reported: their callers got the error). Per code at most one line a second, plus the first.
        // Mostly E_REDIS (the connection is down); on a loaded machine a call sent as the server
        // came back may time out (E_TIMEOUT), a code with a window of its own.
        expect(lines.length, `outage ${outage}`).toBeGreaterThan(0)
        for (const code of ['E_REDIS', 'E_TIMEOUT']) {
          const ofCode = lines.filter(({ error }) => error.code === code)
          expect(ofCode.length, code).toBeLessThanOrEqual(Math.ceil(seconds) + 2)
        }
        expect(lines.some(({ error }) => error.code === 'E_REDIS')).toBe(true)
        for (const { error } of lines) {
          expect(['E_REDIS', 'E_TIMEOUT']).toContain(error.code)
          expect(error.operation).toMatch(/^(getOrSet|store)$/)
          expect(error.key).toMatch(new RegExp(`^${cache.name}:k\\d$`))
          expect(error.server).toBe(server)
          expect(error.message).toContain(`${error.code} ${error.operation} \`${error.key}\``)
          expect(error.message).toContain(server)
        }
        // Every failure is counted, however few lines told of it.
        const told = lines.reduce((sum, { error }) => sum + 1 + (error.repeats ?? 0), 0)
        expect(told).toBeGreaterThanOrEqual(25)
        // Wait out a quiet window: the next outage is news again.
        await new Promise((resolve) => setTimeout(resolve, 1_100))
      }
      expect(cache.stats().errors).toBeGreaterThanOrEqual(100)
    } finally {
      await cache.close()
      redis.disconnect()
    }
  })

  it('a logger gets the reports as (fields, message) instead of process warnings', {
    timeout: 30_000,
  }, async () => {
    const redis = new Redis(own.server.url)
    redis.on('error', () => {})
    const logged: { fields: ErrorLogFields; message: string }[] = []
    const logger: FlipCacheLogger = {
      error: (fields, message) => logged.push({ fields, message }),
      warn: (fields, message) => logged.push({ fields, message }),
    }
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    const cache = openCache(redis, logger)
    try {
      await cache.set('k0', 'v')
      await own.server.stop()
      await vi.waitFor(() => expect(redis.status).not.toBe('ready'), { timeout: 10_000 })
      await callsDuringOutage(cache)
      await own.server.restart()
      await vi.waitFor(() => expect(redis.status).toBe('ready'), { timeout: 10_000 })
      await vi.waitFor(() => expect(logged.length).toBeGreaterThan(1), { timeout: 5_000 })
      const [first] = logged
      expect(first?.fields).toMatchObject({
        code: 'E_REDIS',
        cache: cache.name,
        operation: 'getOrSet',
        server: `127.0.0.1:${own.server.port}`,
        repeats: 0,
      })
      expect(first?.message).toMatch(new RegExp(`^FlipCache \`${cache.name}\`: E_REDIS getOrSet`))
      expect(logged.some(({ fields }) => fields.repeats > 0)).toBe(true)
      expect(warnings.filter((warning) => warning.name === 'FlipCacheWarning')).toEqual([])
    } finally {
      process.off('warning', onWarning)
      await cache.close()
      redis.disconnect()
    }
  })
})
