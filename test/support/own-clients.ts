import { Redis } from 'ioredis'
import { afterEach } from 'vitest'
import type { OwnServer } from './own-server.js'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js'

/** Something a test opens and the helper closes after it (a cache, a proxy). */
interface Closable {
  close(): unknown
}

/**
 * Clients of a test file's own server (or of a proxy in front of it), proxies, and whatever else
 * the test opens: after each test, what was opened is closed, last first, and the clients
 * disconnected. For tests that need clients of their own choosing (a port, an ACL user), where
 * `useCaches` gives one kind.
 */
export function useOwnClients(own: OwnServer) {
  const opened: Closable[] = []
  const clients: Redis[] = []
  afterEach(async () => {
    for (const each of opened.splice(0).reverse()) await each.close()
    for (const client of clients.splice(0)) client.disconnect()
  })

  /** Closes `each` after the test, and returns it. */
  const closeAfter = <T extends Closable>(each: T): T => {
    opened.push(each)
    return each
  }

  return {
    closeAfter,
    /** A client of the own server, or of `port` (a proxy's), as `username` when given. */
    client(options: { port?: number; username?: string } = {}): Redis {
      const redis = new Redis({
        host: '127.0.0.1',
        port: options.port ?? own.server.port,
        username: options.username,
      })
      // Proxies cut and stall the link: the client's reconnect errors are expected, not news.
      redis.on('error', () => {})
      clients.push(redis)
      return redis
    },
    /** A TCP proxy in front of the own server. */
    async proxy(): Promise<TcpProxy> {
      return closeAfter(await startTcpProxy(own.server.port))
    },
  }
}
