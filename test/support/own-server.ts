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
  return {
    get server() {
      return startedBy('useOwnServer', server)
    },
    get admin() {
      return startedBy('useOwnServer', admin)
    },
  }
}

/** `value`, set by `helper`'s beforeAll: an error for a use outside a test, before it ran. */
export function startedBy<T>(helper: string, value: T | undefined): T {
  if (value === undefined)
    throw new Error(`${helper}(): what it starts, it starts in beforeAll; use it in a test`)
  return value
}
