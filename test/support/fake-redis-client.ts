import { EventEmitter } from 'node:events'
import type { Command } from 'ioredis'
import type { RedisClient } from '../../src/redis/connection.js'
import type { Arg } from '../../src/redis/steps.js'

/** One command as the transport handed it to the client. */
export interface SentCommand {
  name: string
  args: Arg[]
  /** Whether it went through `callBuffer` (`'buffer'`) or `call` (`'string'`). */
  reply: 'string' | 'buffer'
}

/** The reply to one command of a pipeline: an error or a result. */
export type PipelineReply = [Error | null, unknown]

/** A round trip the client was asked to make, answered by hand. */
export type RoundTrip = CallTrip | PipelineTrip

export interface CallTrip {
  via: 'call'
  command: SentCommand
  /** Answers the command. */
  resolve(result: unknown): void
  /** Fails the command (a connection error, a Redis error reply). */
  reject(error: Error): void
}

/** Several commands handed over while the socket was corked: one write, so one round trip. */
export interface PipelineTrip {
  via: 'pipeline'
  commands: SentCommand[]
  /** Answers the commands: one reply (an error, or a result) per command. */
  resolve(replies: PipelineReply[]): void
  /** Answers every command without error: with `results[i]`, or with the one result given. */
  answer(...results: unknown[]): void
  /** Fails every command (a connection error). */
  reject(error: Error): void
}

/** A settle-by-hand promise. */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve: (value: T) => void = () => {}
  let reject: (error: Error) => void = () => {}
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok
    reject = fail
  })
  return { promise, resolve, reject }
}

/** Named in capitals whatever the case the transport sent it in (Redis reads either). */
function sentOf(command: Command): SentCommand {
  return {
    name: command.name.toUpperCase(),
    args: command.args as Arg[],
    reply:
      (command as unknown as { replyEncoding: string | null }).replyEncoding === null ? 'buffer' : 'string',
  }
}

/**
 * The commands handed to the client while its socket was corked: one write, so one round trip (the
 * transport sends a tick of several commands that way, each with `sendCommand`, as a pipeline would).
 */
class CorkedGroup {
  readonly commands: SentCommand[] = []
  readonly #replies: ReturnType<typeof deferred<unknown>>[] = []

  add(command: SentCommand): Promise<unknown> {
    const reply = deferred<unknown>()
    this.commands.push(command)
    this.#replies.push(reply)
    return reply.promise
  }

  trip(): PipelineTrip {
    const replies = this.#replies
    const answerEach = (results: PipelineReply[]): void =>
      replies.forEach((reply, index) => {
        const [error, result] = results[index] ?? [new Error('no reply given for this command'), undefined]
        if (error) reply.reject(error)
        else reply.resolve(result)
      })
    return {
      via: 'pipeline',
      commands: this.commands,
      resolve: answerEach,
      answer: (...results) =>
        answerEach(
          this.commands.map((_, index) => [null, results.length === 1 ? results[0] : results[index]]),
        ),
      reject: (error) => {
        for (const reply of replies) reply.reject(error)
      },
    }
  }
}

/** The client's socket, as far as the transport uses it: corked while a round trip's commands are handed over. */
class FakeSocket {
  group: CorkedGroup | undefined
  readonly #client: FakeRedisClient

  constructor(client: FakeRedisClient) {
    this.#client = client
  }

  /** Times a fence reset the socket (see fence.ts). */
  resets = 0

  resetAndDestroy(): void {
    this.resets++
  }

  cork(): void {
    if (this.group !== undefined) throw new Error('the socket is corked already')
    this.group = new CorkedGroup()
  }

  uncork(): void {
    const group = this.group
    if (group === undefined) throw new Error('the socket is not corked')
    this.group = undefined
    if (group.commands.length > 0) this.#client.trips.push(group.trip())
  }
}

/**
 * Just enough of an ioredis client for the transport and `whenReady`: a settable `status`,
 * `call` / `callBuffer` / `pipeline()` whose replies the test gives by hand (see `trips`), and the
 * event methods of an EventEmitter. Hand it over with {@link FakeRedisClient.asClient}.
 */
export class FakeRedisClient extends EventEmitter {
  status: string
  /** Every round trip asked for, oldest first. */
  readonly trips: RoundTrip[] = []
  /** Times `connect()` was called. */
  connects = 0

  constructor(status = 'ready') {
    super()
    this.status = status
  }

  /** As the transport sees it. */
  get asClient(): RedisClient {
    return this as unknown as RedisClient
  }

  call(name: string, args: Arg[]): Promise<unknown> {
    return this.#single({ name, args, reply: 'string' })
  }

  callBuffer(name: string, args: Arg[]): Promise<unknown> {
    return this.#single({ name, args, reply: 'buffer' })
  }

  /**
   * A command built by the caller, as `call` (a UTF-8 reply) or `callBuffer` (no reply encoding):
   * a round trip of its own, or part of the corked socket's.
   */
  sendCommand(command: Command): Promise<unknown> {
    const group = this.stream.group
    return group === undefined ? this.#single(sentOf(command)) : group.add(sentOf(command))
  }

  /** ioredis's options: none set. */
  readonly options = {}

  /** The socket: the transport corks it while it hands over the commands of one round trip. */
  readonly stream = new FakeSocket(this)

  /** ioredis's pipelines, which the transport uses only on a Cluster. */
  pipeline(): never {
    throw new Error('the transport sends ioredis pipelines only on a Cluster')
  }

  connect(): Promise<void> {
    this.connects++
    this.status = 'connecting'
    return Promise.resolve()
  }

  /** Sets the status to `ready` and emits 'ready', as ioredis does once connected. */
  becomeReady(): void {
    this.status = 'ready'
    this.emit('ready')
  }

  /** The one round trip made so far, which must be a single command. */
  onlyCall(): CallTrip {
    expectTrips(this, 1)
    return asCall(this.trips[0])
  }

  /** The one round trip made so far, which must be a pipeline. */
  onlyPipeline(): PipelineTrip {
    expectTrips(this, 1)
    return asPipeline(this.trips[0])
  }

  #single(command: SentCommand): Promise<unknown> {
    const reply = deferred<unknown>()
    this.trips.push({ via: 'call', command, resolve: reply.resolve, reject: reply.reject })
    return reply.promise
  }
}

function expectTrips(client: FakeRedisClient, count: number): void {
  if (client.trips.length !== count) {
    throw new Error(`expected ${count} round trip(s), got ${client.trips.length}`)
  }
}

export function asCall(trip: RoundTrip | undefined): CallTrip {
  if (trip?.via !== 'call') throw new Error(`expected a single command, got ${trip?.via ?? 'nothing'}`)
  return trip
}

export function asPipeline(trip: RoundTrip | undefined): PipelineTrip {
  if (trip?.via !== 'pipeline') throw new Error(`expected a pipeline, got ${trip?.via ?? 'nothing'}`)
  return trip
}

/** The commands of a round trip, as `[name, ...args]` lists. */
export function commandsOf(trip: RoundTrip | undefined): Arg[][] {
  if (trip === undefined) return []
  const commands = trip.via === 'call' ? [trip.command] : trip.commands
  return commands.map((command) => [command.name, ...command.args])
}

/** Resolves once the current tick's calls have left the transport's queue (flushed on `process.nextTick`). */
export function afterTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve))
}

/** Resolves once every pending tick and promise callback ran (`setImmediate` is never faked). */
export function idle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** What became of a promise so far; `done` resolves once it settled, never rejects. */
export interface Outcome<T> {
  state: 'pending' | 'fulfilled' | 'rejected'
  value: T | undefined
  error: Error | undefined
  done: Promise<void>
}

/** Watches `promise` from now on, so that its rejection is handled at once. */
export function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = {
    state: 'pending',
    value: undefined,
    error: undefined,
    done: Promise.resolve(),
  }
  outcome.done = promise.then(
    (value) => {
      outcome.state = 'fulfilled'
      outcome.value = value
    },
    (error: Error) => {
      outcome.state = 'rejected'
      outcome.error = error
    },
  )
  return outcome
}
