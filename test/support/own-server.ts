import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { type RedisServer, startRedisServer } from './redis-server.js'

/** A test file's own redis-server, and a client of the test's on it (for raw commands). */
export interface OwnServer {
  readonly server: RedisServer
  readonly admin: Redis
}

/**
 * Starts a redis-server for the calling test file before its tests and stops it after them: for
 * tests that count commands, change the server's config, stall it or flush it, which would disturb
 * the tests that share the run's server.
 */
export function useOwnServer(extraArgs: string[] = []): OwnServer {
  let server: RedisServer | undefined
  let admin: Redis | undefined
  beforeAll(async () => {
    server = await startRedisServer(extraArgs)
    admin = new Redis(server.url)
  })
  afterAll(async () => {
    admin?.disconnect()
    await server?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useOwnServer(): the server starts in beforeAll; use it in a test')
    return value
  }
  return {
    get server() {
      return started(server)
    },
    get admin() {
      return started(admin)
    },
  }
}
