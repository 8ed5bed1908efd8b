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

/** A reply of a pipeline, as ioredis's `exec()` gives it: an error or a result per command. */
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

export interface PipelineTrip {
  via: 'pipeline'
  commands: SentCommand[]
  /** How many times `exec()` was called on this pipeline. */
  execs: number
  /** Answers the pipeline: one reply per command, or `null` as ioredis gives for a discarded one. */
  resolve(replies: PipelineReply[] | null): void
  /** Answers every command without error: with `results[i]`, or with the one result given. */
  answer(...results: unknown[]): void
  /** Fails the whole pipeline (a connection error). */
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

function sentOf(command: Command): SentCommand {
  return {
    name: command.name,
    args: command.args as Arg[],
    reply:
      (command as unknown as { replyEncoding: string | null }).replyEncoding === null ? 'buffer' : 'string',
  }
}

class FakePipeline {
  readonly #client: FakeRedisClient
  readonly #commands: SentCommand[] = []
  #trip: PipelineTrip | undefined

  constructor(client: FakeRedisClient) {
    this.#client = client
  }

  call(name: string, args: Arg[]): this {
    this.#commands.push({ name, args, reply: 'string' })
    return this
  }

  callBuffer(name: string, args: Arg[]): this {
    this.#commands.push({ name, args, reply: 'buffer' })
    return this
  }

  /** A command built by the caller (as flipcache does, to be able to fence it), as `call` or `callBuffer`. */
  sendCommand(command: Command): this {
    this.#commands.push(sentOf(command))
    return this
  }

  exec(): Promise<PipelineReply[] | null> {
    if (this.#trip !== undefined) {
      this.#trip.execs++
      return Promise.reject(new Error('exec() called twice on one pipeline'))
    }
    const reply = deferred<PipelineReply[] | null>()
    const commands = this.#commands
    this.#trip = {
      via: 'pipeline',
      commands,
      execs: 1,
      resolve: reply.resolve,
      answer: (...results) =>
        reply.resolve(commands.map((_, index) => [null, results.length === 1 ? results[0] : results[index]])),
      reject: reply.reject,
    }
    this.#client.trips.push(this.#trip)
    return reply.promise
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

  /** A command built by the caller, as `call` (a UTF-8 reply) or `callBuffer` (no reply encoding). */
  sendCommand(command: Command): Promise<unknown> {
    return this.#single(sentOf(command))
  }

  /** ioredis's options: none set. */
  readonly options = {}

  pipeline(): FakePipeline {
    return new FakePipeline(this)
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
