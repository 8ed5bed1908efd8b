import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { TrackingHub, type TrackingListener } from '../../src/sync/tracking-hub.js'
import { FakeRedisClient, idle } from '../support/fake-redis-client.js'

/** A connection the hub opens with `duplicate()` (the subscriber, a bridge): commands succeed at once. */
class FakeSubscriber extends EventEmitter {
  constructor(
    readonly options: { connectionName?: string },
    readonly log: string[][],
  ) {
    super()
  }
  call(name: string, ...args: unknown[]): Promise<unknown> {
    this.log.push(['bridge', name, ...args.flat().map(String)])
    return Promise.resolve('OK')
  }
  subscribe(): Promise<number> {
    return Promise.resolve(1)
  }
  psubscribe(): Promise<number> {
    return Promise.resolve(1)
  }
  ssubscribe(): Promise<number> {
    return Promise.resolve(1)
  }
  disconnect(): void {}
}

/**
 * A client whose tracking commands succeed at once: CLIENT LIST names the subscriber, CLIENT
 * TRACKING (alone or in a MULTI) answers OK; each is recorded.
 */
class TrackingClient extends FakeRedisClient {
  readonly clientCommands: string[][] = []
  #subscriberName = ''

  duplicate(options: { connectionName?: string }): FakeSubscriber {
    if (options.connectionName !== undefined) this.#subscriberName = options.connectionName
    return new FakeSubscriber(options, this.clientCommands)
  }

  override call(name: string, ...args: unknown[]): Promise<unknown> {
    const flat = args.flat().map(String)
    this.clientCommands.push([name, ...flat])
    if (name === 'CLIENT' && flat[0] === 'LIST') {
      return Promise.resolve(
        `id=41 addr=127.0.0.1:1 name=other \nid=42 addr=127.0.0.1:2 name=${this.#subscriberName} \n`,
      )
    }
    return Promise.resolve('OK')
  }

  multi() {
    const commands: string[][] = []
    const chain = {
      call: (...args: unknown[]) => {
        commands.push(args.map(String))
        return chain
      },
      exec: () => {
        this.clientCommands.push(...commands)
        return Promise.resolve(commands.map(() => [null, 'OK']))
      },
    }
    return chain
  }
}

function listener(writesInPart = false): TrackingListener & { told: string[][]; reconnects: number } {
  const told: string[][] = []
  const made = {
    told,
    reconnects: 0,
    invalidated: () => {},
    siblingWrote: (keys: string[]) => told.push(keys),
    reconnected: () => {
      made.reconnects++
    },
    unarmed: () => {},
    writesInPart,
  }
  return made
}

function deferred(): { promise: Promise<unknown>; resolve: () => void; reject: (error: Error) => void } {
  let resolve = (): void => {}
  let reject = (_error: Error): void => {}
  const promise = new Promise<unknown>((ok, fail) => {
    resolve = () => ok('PONG')
    reject = fail
  })
  return { promise, resolve, reject }
}

describe("TrackingHub: a cache's writes reach the other caches of its prefix on the same client", () => {
  async function hubWith(): Promise<{
    hub: TrackingHub
    client: TrackingClient
    writer: ReturnType<typeof listener>
    sibling: ReturnType<typeof listener>
    stranger: ReturnType<typeof listener>
  }> {
    const client = new TrackingClient()
    const hub = new TrackingHub(client.asClient)
    const writer = listener()
    const sibling = listener()
    const stranger = listener()
    await hub.register('users:', writer, 1000)
    await hub.register('users:', sibling, 1000)
    await hub.register('orders:', stranger, 1000)
    return { hub, client, writer, sibling, stranger }
  }

  it('arms tracking with NOLOOP on the client itself, redirected to the subscriber', async () => {
    const { client } = await hubWith()
    const tracking = client.clientCommands.filter((command) => command.includes('TRACKING'))
    expect(tracking).toEqual([
      ['CLIENT', 'TRACKING', 'OFF'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '42', 'BCAST', 'PREFIX', 'users:', 'NOLOOP'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '42', 'BCAST', 'PREFIX', 'orders:', 'NOLOOP'],
    ])
  })

  it('tells the siblings only once the write has landed, never the writer nor another prefix', async () => {
    const { hub, writer, sibling, stranger } = await hubWith()
    expect(hub.hasSiblings('users:', writer)).toBe(true)
    const landed = deferred()
    hub.written('users:', writer, ['1', '2'], landed.promise)
    await idle()
    // Not landed yet: a copy dropped now could be refilled from Redis with the old value.
    expect(sibling.told).toEqual([])
    landed.resolve()
    await idle()
    expect(sibling.told).toEqual([['1', '2']])
    expect(writer.told).toEqual([])
    expect(stranger.told).toEqual([])
  })

  it('tells the siblings when the write failed too (it may have been applied, and a failed one never lands later)', async () => {
    const { hub, writer, sibling } = await hubWith()
    const landed = deferred()
    hub.written('users:', writer, ['3'], landed.promise)
    await idle()
    expect(sibling.told).toEqual([])
    landed.reject(new Error('timed out'))
    await idle()
    expect(sibling.told).toEqual([['3']])
  })

  it('has no siblings for a cache alone on its prefix (its writes then cost no marker)', async () => {
    const client = new TrackingClient()
    const hub = new TrackingHub(client.asClient)
    const writer = listener()
    const sibling = listener()
    await hub.register('users:', writer, 1000)
    expect(hub.hasSiblings('users:', writer)).toBe(false)
    const stop = await hub.register('users:', sibling, 1000)
    expect(hub.hasSiblings('users:', writer)).toBe(true)
    await stop()
    expect(hub.hasSiblings('users:', writer)).toBe(false)
  })

  it('tracks without NOLOOP while a cache that writes keys in part listens, switching over a bridge both ways, without telling anyone of a gap', async () => {
    const client = new TrackingClient()
    const hub = new TrackingHub(client.asClient)
    const strings = listener()
    await hub.register('users:', strings, 1000)
    client.clientCommands.length = 0
    const stop = await hub.register('items:', listener(true), 1000)
    const on = (noLoop: boolean) => [
      'CLIENT',
      'TRACKING',
      'ON',
      'REDIRECT',
      '42',
      'BCAST',
      'PREFIX',
      'items:',
      'PREFIX',
      'users:',
      ...(noLoop ? ['NOLOOP'] : []),
    ]
    // The bridge tracks first (never with NOLOOP), then the client's connection turns over in a MULTI.
    expect(client.clientCommands).toEqual([
      ['bridge', ...on(false)],
      ['CLIENT', 'TRACKING', 'OFF'],
      on(false),
    ])
    client.clientCommands.length = 0
    await stop()
    expect(client.clientCommands).toEqual([
      ['bridge', ...on(false).slice(0, 7), 'users:'],
      ['CLIENT', 'TRACKING', 'OFF'],
      [...on(false).slice(0, 7), 'users:', 'NOLOOP'],
    ])
    expect(strings.reconnects).toBe(0)
  })
})
