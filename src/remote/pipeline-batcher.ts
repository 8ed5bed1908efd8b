import { FlipCacheError, RedisTimeoutError, RedisUnavailableError } from '../errors.js'
import type { RedisValue } from '../types/value-codec.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import { type RedisClient, whenReady } from './connection.js'
import { type Deadline, DeadlineQueue, standaloneDeadline } from './deadlines.js'

export type ReplyMode = 'string' | 'buffer'
type Arg = string | Buffer | number

/** The values of a read, in key order (`null` for a missing key), and their PTTLs when asked for. */
export interface ReadReply {
  values: (RedisValue | null)[]
  ttls: number[] | undefined
}

interface Pending<T> {
  resolve(value: T): void
  reject(error: Error): void
}
interface QueuedCommand extends Pending<unknown> {
  kind: 'command'
  name: string
  args: Arg[]
  reply: ReplyMode
}
interface QueuedRead extends Pending<ReadReply> {
  kind: 'read'
  keys: string[]
  reply: ReplyMode
  withTtl: boolean
}
type Queued = QueuedCommand | QueuedRead

/** A batch held until the connection is ready. */
interface Waiting {
  batch: Queued[]
  startedAt: number
  timer: NodeJS.Timeout | undefined
}

/** One command of the pipeline, and how to hand its reply to the callers waiting on it. */
interface Step {
  name: string
  args: Arg[]
  reply: ReplyMode
  settle(result: unknown): void
  fail(error: Error): void
}

/**
 * Sends every command issued in one tick as one pipeline (one round trip), whatever the client's
 * own `enableAutoPipelining`, and merges adjacent reads into one `MGET`. Each pipeline gets one
 * timer: past `timeoutMs` its callers get a `RedisTimeoutError`. While the client is not ready
 * (connecting, reconnecting), commands wait in this queue, not in ioredis's offline queue, and are
 * dropped with a `RedisUnavailableError` when it is not ready in time: a write that failed that way
 * is never applied later.
 */
export class PipelineBatcher {
  readonly #client: RedisClient
  readonly #timeoutMs: number
  readonly #deadlines: DeadlineQueue
  readonly #breaker: CircuitBreaker | undefined
  #queue: Queued[] = []
  #scheduled = false
  #watchingReconnect = false
  readonly #beforeFlush: (() => void)[] = []
  /** Batches held until the connection is ready, oldest first. */
  #waiting: Waiting[] = []

  constructor(client: RedisClient, timeoutMs: number, breaker?: CircuitBreaker) {
    this.#client = client
    this.#timeoutMs = timeoutMs
    this.#deadlines = new DeadlineQueue(timeoutMs)
    this.#breaker = breaker
  }

  command<T>(name: string, args: Arg[], reply: ReplyMode = 'string'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#enqueue({
        kind: 'command',
        name,
        args,
        reply,
        resolve: resolve as (value: unknown) => void,
        reject,
      })
    })
  }

  /** Reads `keys` (merged with the other reads of this tick into one `MGET`), with their PTTLs when `withTtl`. */
  read(keys: string[], reply: ReplyMode, withTtl: boolean): Promise<ReadReply> {
    return new Promise<ReadReply>((resolve, reject) => {
      this.#enqueue({ kind: 'read', keys, reply, withTtl, resolve, reject })
    })
  }

  /**
   * Runs `hook` as each pipeline is about to leave; commands it queues travel in that pipeline,
   * after the tick's own (the sync bus sends one PUBLISH for all the keys written in the tick).
   */
  beforeFlush(hook: () => void): void {
    this.#beforeFlush.push(hook)
  }

  #enqueue(item: Queued): void {
    this.#queue.push(item)
    if (!this.#scheduled) {
      this.#scheduled = true
      process.nextTick(() => this.#flush())
    }
  }

  #flush(): void {
    for (const hook of this.#beforeFlush) hook()
    this.#scheduled = false
    const batch = this.#queue
    this.#queue = []
    const now = Date.now()
    if (this.#breaker !== undefined && !this.#breaker.allows(now)) {
      const probeIn = this.#breaker.probeIn(now)
      failAll(
        batch,
        new RedisUnavailableError(
          `Redis is marked down after repeated failures; the next probe is in ${probeIn} ms`,
        ),
      )
      return
    }
    const status = this.#client.status
    // While earlier batches wait for the connection, later ones queue behind them, even if the
    // client says ready already: calls leave in the order they were made.
    if (status === 'ready' && this.#waiting.length === 0) {
      const steps = toSteps(batch)
      this.#send(
        steps,
        this.#deadlines.add(() => this.#expire(steps, this.#timeoutMs)),
      )
    } else if (status === 'end') {
      this.#fail(batch, new RedisUnavailableError('The Redis connection is closed (client status `end`)'))
    } else {
      this.#wait(batch, status)
    }
  }

  /** Holds `batch` until the connection is ready, for at most `timeout`; then it fails, never sent. */
  #wait(batch: Queued[], status: string): void {
    const waiting: Waiting = { batch, startedAt: Date.now(), timer: undefined }
    waiting.timer = setTimeout(() => {
      // Dropped from the list, values and all: an outage does not pile batches up in memory.
      const index = this.#waiting.indexOf(waiting)
      if (index >= 0) this.#waiting.splice(index, 1)
      this.#fail(
        batch,
        new RedisUnavailableError(
          `Redis is unreachable: the connection was not ready within ${this.#timeoutMs} ms (client status \`${status}\`)`,
        ),
      )
    }, this.#timeoutMs)
    this.#waiting.push(waiting)
    if (this.#waiting.length === 1) whenReady(this.#client).then(() => this.#release())
  }

  /** The connection is ready: the waiting batches leave, in order, each with what is left of its time. */
  #release(): void {
    const released = this.#waiting
    this.#waiting = []
    const now = Date.now()
    for (const { batch, startedAt, timer } of released) {
      clearTimeout(timer)
      const steps = toSteps(batch)
      const remainingMs = Math.max(1, this.#timeoutMs - (now - startedAt))
      this.#send(
        steps,
        standaloneDeadline(remainingMs, () => this.#expire(steps, remainingMs)),
      )
    }
  }

  #send(steps: Step[], deadline: Deadline): void {
    const failure = (error: unknown): void => {
      if (!deadline.settle()) return
      failSteps(steps, error)
      this.#breaker?.failed(error as Error, Date.now())
    }
    const only = steps.length === 1 ? steps[0] : undefined
    if (only !== undefined) {
      const sent =
        only.reply === 'buffer'
          ? this.#client.callBuffer(only.name, only.args)
          : this.#client.call(only.name, only.args)
      sent.then((result) => {
        if (!deadline.settle()) return
        only.settle(result)
        this.#breaker?.succeeded()
      }, failure)
      return
    }
    const pipeline = this.#client.pipeline()
    for (const step of steps) {
      if (step.reply === 'buffer') pipeline.callBuffer(step.name, step.args)
      else pipeline.call(step.name, step.args)
    }
    pipeline.exec().then((results) => {
      if (!deadline.settle()) return
      steps.forEach((step, index) => {
        const [error, result] = results?.[index] ?? [new Error('Redis sent no reply'), undefined]
        if (error) step.fail(wrapRedisError(error, step.name))
        else step.settle(result)
      })
      // Redis answered, even if some commands were refused (WRONGTYPE...): it is up.
      this.#breaker?.succeeded()
    }, failure)
  }

  #expire(steps: Step[], timeoutMs: number): void {
    const error = new RedisTimeoutError(timeoutMs, describeSteps(steps))
    failSteps(steps, error)
    this.#breaker?.failed(error, Date.now())
  }

  #fail(batch: Queued[], error: Error): void {
    failAll(batch, error)
    this.#breaker?.failed(error, Date.now())
    if (this.#breaker?.down && !this.#watchingReconnect) {
      // A reconnection lets the next round trip probe at once instead of waiting out the cooldown.
      this.#watchingReconnect = true
      whenReady(this.#client).then(() => {
        this.#watchingReconnect = false
        this.#breaker?.reconnected()
      })
    }
  }
}

/** Turns the queue into pipeline steps, merging each run of adjacent reads into one MGET (plus PTTLs). */
function toSteps(batch: Queued[]): Step[] {
  const steps: Step[] = []
  let run: QueuedRead[] = []
  const closeRun = (): void => {
    if (run.length > 0) steps.push(...readSteps(run))
    run = []
  }
  for (const item of batch) {
    if (item.kind === 'read') {
      if (run.length > 0 && run[0]?.reply !== item.reply) closeRun()
      run.push(item)
      continue
    }
    closeRun()
    steps.push({
      name: item.name,
      args: item.args,
      reply: item.reply,
      settle: item.resolve,
      fail: (error) => item.reject(wrapRedisError(error, item.name)),
    })
  }
  closeRun()
  return steps
}

function readSteps(reads: QueuedRead[]): Step[] {
  const only = reads.length === 1 ? reads[0] : undefined
  if (only !== undefined && !only.withTtl) return [singleReadStep(only)]
  const keys = reads.flatMap((read) => read.keys)
  const reply = reads[0]?.reply ?? 'string'
  const fail = (error: Error): void => {
    for (const read of reads) read.reject(wrapRedisError(error, 'MGET'))
  }
  let values: (RedisValue | null)[] = []
  const ttlKeys = reads.flatMap((read) => (read.withTtl ? read.keys : []))
  const ttls = new Map<string, number>()
  const deliver = (): void => {
    let offset = 0
    for (const read of reads) {
      const slice = values.slice(offset, offset + read.keys.length)
      offset += read.keys.length
      read.resolve({
        values: slice,
        ttls: read.withTtl ? read.keys.map((key) => ttls.get(key) ?? -2) : undefined,
      })
    }
  }
  const single = keys.length === 1
  const steps: Step[] = [
    {
      name: single ? 'GET' : 'MGET',
      args: keys,
      reply,
      settle(result) {
        values = single ? [result as RedisValue | null] : (result as (RedisValue | null)[])
        if (ttlKeys.length === 0) deliver()
      },
      fail,
    },
  ]
  ttlKeys.forEach((key, index) => {
    steps.push({
      name: 'PTTL',
      args: [key],
      reply: 'string',
      settle(result) {
        ttls.set(key, result as number)
        if (index === ttlKeys.length - 1) deliver()
      },
      fail,
    })
  })
  return steps
}

/** The common case, one read without PTTLs: its reply goes straight to its caller. */
function singleReadStep(read: QueuedRead): Step {
  const single = read.keys.length === 1
  return {
    name: single ? 'GET' : 'MGET',
    args: read.keys,
    reply: read.reply,
    settle: (result) =>
      read.resolve({
        values: single ? [result as RedisValue | null] : (result as (RedisValue | null)[]),
        ttls: undefined,
      }),
    fail: (error) => read.reject(wrapRedisError(error, single ? 'GET' : 'MGET')),
  }
}

function failAll(batch: Queued[], error: Error): void {
  for (const item of batch) item.reject(error)
}

function failSteps(steps: Step[], error: unknown): void {
  for (const step of steps) step.fail(error as Error)
}

function wrapRedisError(error: Error, command: string): Error {
  if (error instanceof FlipCacheError) return error
  return new RedisUnavailableError(`Redis failed on ${command}: ${error.message}`, { cause: error })
}

function describeSteps(steps: Step[]): string {
  const names = steps.slice(0, 3).map((step) => step.name)
  const more = steps.length > 3 ? ` and ${steps.length - 3} more` : ''
  return `${names.join(', ')}${more}`
}
