import { EventEmitter } from 'node:events'
import calculateSlot from 'cluster-key-slot'
import { type Cluster, ReplyError } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RedisClient } from '../../src/redis/connection.js'
import { fieldExpiryCommands, ServerFeatures } from '../../src/redis/server-features.js'
import { SlotRouter } from '../../src/redis/slot-router.js'
import { idle, track } from '../support/fake-redis-client.js'

/** One `call` a fake connection was asked, answered by hand. */
interface Probe {
  args: unknown[]
  resolve(reply: unknown): void
  reject(error: Error): void
}

/** A connection as ServerFeatures sees one: a status, its events, and `call`s the test answers. */
class FakeConnection extends EventEmitter {
  status: string
  readonly probes: Probe[] = []
  readonly options: { host: string; port: number }

  constructor(status = 'ready', port = 6000) {
    super()
    this.status = status
    this.options = { host: '127.0.0.1', port }
  }

  get name(): string {
    return `${this.options.host}:${this.options.port}`
  }

  call(...args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => this.probes.push({ args, resolve, reject }))
  }

  /** The last probe sent. */
  get last(): Probe {
    const probe = this.probes.at(-1)
    if (probe === undefined) throw new Error(`${this.name} was asked nothing`)
    return probe
  }

  /** The connection dropped (ioredis: status, then 'close'). */
  drop(): void {
    this.status = 'reconnecting'
    this.emit('close')
  }

  /** Connected again (ioredis: status, then 'ready'). */
  reconnect(): void {
    this.status = 'ready'
    this.emit('ready')
  }
}

/** COMMAND INFO of the four commands, as a server that has them all answers (one array each). */
const everyCommand = fieldExpiryCommands.map((name) => [name.toLowerCase(), -5, ['write'], 1, 1, 1])
/** As Redis 7.4 answers: HPEXPIRE and HPTTL, but nil for HSETEX and HGETEX. */
const someCommands = [null, null, everyCommand[2], everyCommand[3]]
const connectionLost = (): Error => new Error('Connection is closed.')

/** A Cluster client as ServerFeatures and the SlotRouter see it: masters, a slot table, a status. */
class FakeCluster extends EventEmitter {
  readonly isCluster = true
  status = 'ready'
  masters: FakeConnection[]
  slots: string[][] = []

  constructor(masters: FakeConnection[]) {
    super()
    this.masters = masters
    this.assignSlots()
  }

  /** Spreads the slots evenly over the masters, in order. */
  assignSlots(): void {
    const share = Math.ceil(16384 / this.masters.length)
    this.slots = Array.from({ length: 16384 }, (_, slot) => [
      (this.masters[Math.floor(slot / share)] as FakeConnection).name,
    ])
  }

  nodes(role: string): FakeConnection[] {
    if (role !== 'master') throw new Error(`only masters are asked for, not ${role}`)
    return this.status === 'ready' ? this.masters : []
  }

  refreshSlotsCache(): void {}
}

/** A key whose slot `cluster` gives to `master`. */
function keyOn(cluster: FakeCluster, master: FakeConnection): string {
  for (let index = 0; ; index++) {
    const key = `k${index}`
    if (cluster.slots[calculateSlot(key)]?.[0] === master.name) return key
  }
}

function singleNode(status = 'ready'): { connection: FakeConnection; features: ServerFeatures } {
  const connection = new FakeConnection(status)
  return { connection, features: new ServerFeatures(connection as unknown as RedisClient, undefined) }
}

function cluster(masters = 3): {
  client: FakeCluster
  nodes: FakeConnection[]
  features: ServerFeatures
} {
  const nodes = Array.from({ length: masters }, (_, index) => new FakeConnection('ready', 7000 + index))
  const client = new FakeCluster(nodes)
  const router = new SlotRouter(client as unknown as Cluster)
  return { client, nodes, features: new ServerFeatures(client as unknown as RedisClient, router) }
}

beforeEach(() => {
  // setImmediate stays real: `idle()` waits on it for the answers' callbacks to run.
  vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('ServerFeatures on a single node', () => {
  it("asks COMMAND INFO once per connection: 'unknown' until the answer, then 'yes'", async () => {
    const { connection, features } = singleNode()
    expect(connection.probes).toHaveLength(1)
    expect(connection.last.args).toEqual(['COMMAND', 'INFO', 'HSETEX', 'HGETEX', 'HPEXPIRE', 'HPTTL'])
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(features.fieldExpiry('b')).toBe('unknown')
    expect(connection.probes).toHaveLength(1)
    connection.last.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry('a')).toBe('yes')
    vi.advanceTimersByTime(60_000)
    expect(features.fieldExpiry('b')).toBe('yes')
    expect(connection.probes).toHaveLength(1)
  })

  it("is 'no' when COMMAND INFO names one of the commands as nil (Redis 7.4), or none (Redis 7.0)", async () => {
    for (const reply of [someCommands, [null, null, null, null]]) {
      const { connection, features } = singleNode()
      connection.last.resolve(reply)
      await idle()
      expect(features.fieldExpiry('a')).toBe('no')
    }
  })

  it("is 'no' when COMMAND is refused (a ReplyError: an ACL, a managed service)", async () => {
    const { connection, features } = singleNode()
    connection.last.reject(new ReplyError("NOPERM User flip has no permissions to run the 'command' command"))
    await idle()
    expect(features.fieldExpiry('a')).toBe('no')
    expect(connection.probes).toHaveLength(1)
  })

  it('a client not ready yet is asked when it becomes ready, not before', async () => {
    const { connection, features } = singleNode('connecting')
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(connection.probes).toHaveLength(0)
    connection.reconnect()
    expect(connection.probes).toHaveLength(1)
    connection.last.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry('a')).toBe('yes')
  })

  it("a closed connection makes it 'unknown', and the next ready asks again (the server may be another)", async () => {
    const { connection, features } = singleNode()
    connection.last.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry('a')).toBe('yes')
    connection.drop()
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(connection.probes).toHaveLength(1)
    connection.reconnect()
    expect(connection.probes).toHaveLength(2)
    connection.last.resolve([null, null, null, null])
    await idle()
    expect(features.fieldExpiry('a')).toBe('no')
  })

  it('an answer from the connection before a reconnection is dropped; the one from the new connection counts', async () => {
    const { connection, features } = singleNode()
    const before = connection.last
    connection.drop()
    connection.reconnect()
    expect(connection.probes).toHaveLength(2)
    const after = connection.last
    // ioredis resends a command left unanswered by a dropped connection: its answer may come late.
    before.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry('a')).toBe('unknown')
    after.resolve([null, null, null, null])
    await idle()
    expect(features.fieldExpiry('a')).toBe('no')
  })

  it("a connection error leaves it 'unknown', and the server is asked again once the patience (5 s) ran out", async () => {
    const { connection, features } = singleNode()
    connection.last.reject(connectionLost())
    await idle()
    expect(features.fieldExpiry('a')).toBe('unknown')
    vi.advanceTimersByTime(4_999)
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(connection.probes).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(connection.probes).toHaveLength(2)
    connection.last.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry('a')).toBe('yes')
  })

  it('a probe never answered blocks another one for 5 s; a late answer still counts', async () => {
    const { connection, features } = singleNode()
    const first = connection.last
    vi.advanceTimersByTime(4_999)
    features.fieldExpiry('a')
    expect(connection.probes).toHaveLength(1)
    vi.advanceTimersByTime(1)
    features.fieldExpiry('a')
    expect(connection.probes).toHaveLength(2)
    first.resolve(everyCommand)
    await idle()
    // The same connection (none dropped): the server that answered is the one still there.
    expect(features.fieldExpiry('a')).toBe('yes')
    connection.last.resolve([null, null, null, null])
    await idle()
    expect(features.fieldExpiry('a')).toBe('yes')
    expect(connection.probes).toHaveLength(2)
  })

  it('settled(ms) resolves once the server answered, and at once when it already did', async () => {
    const { connection, features } = singleNode()
    const settled = track(features.settled(1_000))
    await idle()
    expect(settled.state).toBe('pending')
    connection.last.resolve(everyCommand)
    await settled.done
    expect(settled.state).toBe('fulfilled')
    // Its timer went with it.
    expect(vi.getTimerCount()).toBe(0)
    const again = track(features.settled(1_000))
    await idle()
    expect(again.state).toBe('fulfilled')
    expect(connection.probes).toHaveLength(1)
  })

  it('settled(ms) resolves after ms when no answer comes, and an answer after that finds no waiter', async () => {
    const { connection, features } = singleNode('connecting')
    const settled = track(features.settled(1_000))
    vi.advanceTimersByTime(999)
    await idle()
    expect(settled.state).toBe('pending')
    vi.advanceTimersByTime(1)
    await settled.done
    expect(settled.state).toBe('fulfilled')
    expect(vi.getTimerCount()).toBe(0)
    connection.reconnect()
    const waiting = track(features.settled(1_000))
    connection.last.resolve(everyCommand)
    await waiting.done
    expect(features.fieldExpiry('a')).toBe('yes')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('forget() asks the server again at once, and drops the answer of a probe sent before it', async () => {
    const { connection, features } = singleNode()
    const before = connection.last
    features.forget()
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(connection.probes).toHaveLength(2)
    before.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry('a')).toBe('unknown')
    connection.last.resolve(someCommands)
    await idle()
    expect(features.fieldExpiry('a')).toBe('no')
    features.forget()
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(connection.probes).toHaveLength(3)
  })
})

describe('ServerFeatures on a Cluster', () => {
  it('asks each master the first time a key of its slots asks, and answers per master', async () => {
    const { client, nodes, features } = cluster()
    const [first, second, third] = nodes as [FakeConnection, FakeConnection, FakeConnection]
    expect(nodes.map((node) => node.probes.length)).toEqual([0, 0, 0])
    expect(features.fieldExpiry(keyOn(client, first))).toBe('unknown')
    expect(features.fieldExpiry(keyOn(client, first))).toBe('unknown')
    expect(nodes.map((node) => node.probes.length)).toEqual([1, 0, 0])
    expect(first.last.args).toEqual(['COMMAND', 'INFO', ...fieldExpiryCommands])
    features.fieldExpiry(keyOn(client, second))
    expect(nodes.map((node) => node.probes.length)).toEqual([1, 1, 0])
    first.last.resolve(everyCommand)
    second.last.resolve(someCommands)
    await idle()
    expect(features.fieldExpiry(keyOn(client, first))).toBe('yes')
    expect(features.fieldExpiry(keyOn(client, second))).toBe('no')
    expect(features.fieldExpiry(keyOn(client, third))).toBe('unknown')
    third.last.reject(new ReplyError('ERR unknown command'))
    await idle()
    expect(features.fieldExpiry(keyOn(client, third))).toBe('no')
    expect(nodes.map((node) => node.probes.length)).toEqual([1, 1, 1])
  })

  it("a slot the client's table does not place yet is 'unknown', and asks nobody", () => {
    const { client, nodes, features } = cluster()
    client.slots = []
    expect(features.fieldExpiry('a')).toBe('unknown')
    expect(nodes.map((node) => node.probes.length)).toEqual([0, 0, 0])
  })

  it("a master's close forgets it alone: asked again on next use, and its answer from before the close is dropped", async () => {
    const { client, nodes, features } = cluster(2)
    const [first, second] = nodes as [FakeConnection, FakeConnection]
    features.fieldExpiry(keyOn(client, first))
    features.fieldExpiry(keyOn(client, second))
    first.last.resolve(everyCommand)
    second.last.resolve(everyCommand)
    await idle()
    first.drop()
    expect(features.fieldExpiry(keyOn(client, second))).toBe('yes')
    expect(features.fieldExpiry(keyOn(client, first))).toBe('unknown')
    expect(first.probes).toHaveLength(2)
    const pending = first.last
    first.drop()
    // The probe sent before this close answers after it: dropped (another server may answer next).
    pending.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry(keyOn(client, first))).toBe('unknown')
    expect(first.probes).toHaveLength(3)
    first.last.resolve([null, null, null, null])
    await idle()
    expect(features.fieldExpiry(keyOn(client, first))).toBe('no')
    expect(second.probes).toHaveLength(1)
  })

  it('a master that failed to answer is asked again after the patience, not on every call', async () => {
    const { client, nodes, features } = cluster(2)
    const [first] = nodes as [FakeConnection]
    const key = keyOn(client, first)
    features.fieldExpiry(key)
    first.last.reject(connectionLost())
    await idle()
    for (let call = 0; call < 10; call++) expect(features.fieldExpiry(key)).toBe('unknown')
    expect(first.probes).toHaveLength(1)
    vi.advanceTimersByTime(5_000)
    features.fieldExpiry(key)
    expect(first.probes).toHaveLength(2)
    first.last.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry(key)).toBe('yes')
  })

  it('a slot moved to a master not asked yet is asked of that master', async () => {
    const { client, nodes, features } = cluster(2)
    const [first, second] = nodes as [FakeConnection, FakeConnection]
    const key = keyOn(client, first)
    features.fieldExpiry(key)
    first.last.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry(key)).toBe('yes')
    const promoted = new FakeConnection('ready', 7100)
    client.masters = [promoted, second]
    client.slots = client.slots.map(([name]) => [name === first.name ? promoted.name : (name as string)])
    expect(features.fieldExpiry(key)).toBe('unknown')
    expect(promoted.probes).toHaveLength(1)
    promoted.last.resolve(someCommands)
    await idle()
    expect(features.fieldExpiry(key)).toBe('no')
  })

  it('forget() makes every master be asked again, and drops the answers on their way', async () => {
    const { client, nodes, features } = cluster(2)
    const [first, second] = nodes as [FakeConnection, FakeConnection]
    features.fieldExpiry(keyOn(client, first))
    features.fieldExpiry(keyOn(client, second))
    first.last.resolve(everyCommand)
    await idle()
    const onItsWay = second.last
    features.forget()
    onItsWay.resolve(everyCommand)
    await idle()
    expect(features.fieldExpiry(keyOn(client, first))).toBe('unknown')
    expect(features.fieldExpiry(keyOn(client, second))).toBe('unknown')
    expect(nodes.map((node) => node.probes.length)).toEqual([2, 2])
  })

  it('settled(ms) asks every master and waits for the last answer', async () => {
    const { nodes, features } = cluster()
    const settled = track(features.settled(1_000))
    expect(nodes.map((node) => node.probes.length)).toEqual([1, 1, 1])
    const [first, second, third] = nodes as [FakeConnection, FakeConnection, FakeConnection]
    first.last.resolve(everyCommand)
    second.last.reject(connectionLost())
    await idle()
    expect(settled.state).toBe('pending')
    third.last.resolve(someCommands)
    await idle()
    expect(settled.state).toBe('pending')
    vi.advanceTimersByTime(5_000)
    // The failed master is asked again by the next caller; its answer lets every waiter go.
    const later = track(features.settled(10_000))
    await settled.done
    expect(settled.state).toBe('fulfilled')
    expect(second.probes).toHaveLength(2)
    second.last.resolve(everyCommand)
    await later.done
    expect(later.state).toBe('fulfilled')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('settled(ms) on a Cluster not ready yet asks the masters once it is, or gives up after ms', async () => {
    const { client, nodes, features } = cluster(2)
    client.status = 'connecting'
    const settled = track(features.settled(1_000))
    const other = track(features.settled(1_000))
    expect(client.listenerCount('ready')).toBe(1)
    client.status = 'ready'
    client.emit('ready')
    expect(nodes.map((node) => node.probes.length)).toEqual([1, 1])
    for (const node of nodes) node.last.resolve(everyCommand)
    await Promise.all([settled.done, other.done])
    expect(client.listenerCount('ready')).toBe(0)
    expect(vi.getTimerCount()).toBe(0)

    const late = cluster(2)
    late.client.status = 'connecting'
    const givenUp = track(late.features.settled(500))
    vi.advanceTimersByTime(500)
    await givenUp.done
    expect(givenUp.state).toBe('fulfilled')
    expect(late.nodes.map((node) => node.probes.length)).toEqual([0, 0])
  })
})
