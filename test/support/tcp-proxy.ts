import { createServer, type Server, Socket } from 'node:net'

/**
 * What a proxied connection does with the bytes it gets, in both directions:
 * - `pass`: forwards them;
 * - `delay`: forwards them after `delayMs`;
 * - `blackhole`: reads and drops them, and says nothing (no FIN, no RST): a silent partition;
 * - `hold`: stops reading, so that they wait in the kernel's buffers (as behind a stalled link),
 *   and flow again on `pass`.
 */
export type LinkMode = 'pass' | 'delay' | 'blackhole' | 'hold'

/** One client connection through the proxy and its own link to the server. */
export interface ProxiedConnection {
  /** The first bytes the client sent (up to 4 KB), to tell connections apart (SUBSCRIBE, CLIENT TRACKING...). */
  readonly opening: string
  mode: LinkMode
  delayMs: number
  /** Closes both sides at once (RST to the client). */
  cut(): void
  readonly closed: boolean
}

export interface TcpProxy {
  readonly port: number
  readonly url: string
  readonly connections: readonly ProxiedConnection[]
  /** The open connections whose opening bytes contain `text` (case aside: ioredis sends `subscribe`). */
  connectionsWith(text: string): ProxiedConnection[]
  /** Sets the mode of every open connection and of the connections opened later. */
  setMode(mode: LinkMode, delayMs?: number): void
  /** Sends the connections opened from now on to `port` (another server), and cuts the open ones: a failover behind one address. */
  retarget(port: number): void
  close(): Promise<void>
}

const openingLimit = 4096

class Link implements ProxiedConnection {
  opening = ''
  mode: LinkMode
  delayMs: number
  closed = false
  readonly #client: Socket
  readonly #server: Socket

  constructor(client: Socket, server: Socket, mode: LinkMode, delayMs: number) {
    this.#client = client
    this.#server = server
    this.mode = mode
    this.delayMs = delayMs
    this.#pipe(client, server, true)
    this.#pipe(server, client, false)
    const end = (): void => this.cut()
    client.on('close', end)
    server.on('close', end)
    client.on('error', end)
    server.on('error', end)
    // A held link resumes reading as soon as its mode changes: checked on a short timer.
    const watch = setInterval(() => {
      if (this.closed) clearInterval(watch)
      else if (this.mode !== 'hold') {
        if (client.isPaused()) client.resume()
        if (server.isPaused()) server.resume()
      } else {
        client.pause()
        server.pause()
      }
    }, 5)
    watch.unref()
  }

  cut(): void {
    if (this.closed) return
    this.closed = true
    this.#client.resetAndDestroy()
    this.#server.destroy()
  }

  #pipe(from: Socket, to: Socket, fromClient: boolean): void {
    from.on('data', (chunk: Buffer) => {
      if (fromClient && this.opening.length < openingLimit) {
        this.opening += chunk.toString('latin1').slice(0, openingLimit - this.opening.length)
      }
      if (this.mode === 'hold') {
        from.pause()
        // Already read: it goes on once the link passes again, as the kernel would deliver it.
        const resend = setInterval(() => {
          if (this.closed) clearInterval(resend)
          else if (this.mode !== 'hold') {
            clearInterval(resend)
            this.#forward(to, chunk)
          }
        }, 5)
        return
      }
      if (this.mode === 'blackhole') return
      this.#forward(to, chunk)
    })
  }

  #forward(to: Socket, chunk: Buffer): void {
    if (this.closed) return
    if (this.mode === 'delay' && this.delayMs > 0) {
      setTimeout(() => {
        if (!this.closed) to.write(chunk)
      }, this.delayMs)
    } else to.write(chunk)
  }
}

/** A TCP proxy on 127.0.0.1 in front of `targetPort`, for fault tests: each connection can be slowed, cut or silenced. */
export async function startTcpProxy(firstTarget: number): Promise<TcpProxy> {
  let targetPort = firstTarget
  const links: Link[] = []
  let mode: LinkMode = 'pass'
  let delayMs = 0
  const server: Server = createServer((client) => {
    client.pause()
    // Nagle's algorithm with delayed ACKs would hold small writes (a pub/sub message) for ~40 ms.
    client.setNoDelay(true)
    const upstream = new Socket()
    upstream.setNoDelay(true)
    upstream.connect(targetPort, '127.0.0.1', () => client.resume())
    links.push(new Link(client, upstream, mode, delayMs))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('The proxy has no port')
  const open = (): Link[] => links.filter((link) => !link.closed)
  return {
    port: address.port,
    url: `redis://127.0.0.1:${address.port}`,
    get connections() {
      return open()
    },
    connectionsWith: (text) =>
      open().filter((link) => link.opening.toLowerCase().includes(text.toLowerCase())),
    setMode(next, delay = 0) {
      mode = next
      delayMs = delay
      for (const link of open()) {
        link.mode = next
        link.delayMs = delay
      }
    },
    retarget(port) {
      targetPort = port
      for (const link of open()) link.cut()
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const link of links) link.cut()
        server.close(() => resolve())
      }),
  }
}
