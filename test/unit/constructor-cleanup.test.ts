import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FlipCache } from '../../src/index.js'
import { freePort } from '../support/redis-server.js'

// A step of the constructor that fails after the cache opened its own client: here the L1 store
// (as when a bundler hands quick-lru's module namespace instead of its class to CommonJS).
vi.mock('quick-lru', () => ({
  default: class {
    constructor() {
      throw new Error('quick-lru could not be built')
    }
  },
}))

describe('FlipCache constructor', () => {
  const opened: Redis[] = []
  afterEach(() => {
    for (const client of opened.splice(0)) client.disconnect()
    vi.restoreAllMocks()
  })

  it('that throws after opening its own client closes that client, so the process can exit', async () => {
    const connect = Redis.prototype.connect
    vi.spyOn(Redis.prototype, 'connect').mockImplementation(function (this: Redis, ...args) {
      opened.push(this)
      return connect.apply(this, args)
    })
    // Nothing listens on this port: a leaked client would reconnect to it forever.
    const port = await freePort()
    expect(() => new FlipCache('cleanup', { redis: { host: '127.0.0.1', port }, localMax: 10 })).toThrow(
      'quick-lru could not be built',
    )
    expect(opened).toHaveLength(1)
    await vi.waitFor(() => expect(opened[0]?.status).toBe('end'))
  })

  it('that throws leaves a client it was given open', async () => {
    const port = await freePort()
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true })
    opened.push(client)
    expect(() => new FlipCache('cleanup', { redis: client, localMax: 10 })).toThrow('quick-lru')
    expect(client.status).toBe('wait')
  })
})
