import type { Redis } from 'ioredis'
import { RedisTimeoutError, RedisUnavailableError } from '../errors.js'
import { within } from '../within.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import { type RedisClient, whenReady } from './connection.js'
import { type Deadline, DeadlineQueue, standaloneDeadline } from './deadlines.js'
import { routerFor, type SlotRouter } from './slot-router.js'
import {
  type Arg,
  describeSteps,
  failAll,
  failSteps,
  type Queued,
  type ReadReply,
  type ReplyMode,
  type Step,
  toSteps,
  wrapRedisError,
} from './steps.js'

export type { ReadReply, ReplyMode } from './steps.js'

/** The calls of one tick that share one command (`coalesce`). */
interface Coalesced {
  name: string
  build: (items: string[]) => Arg[]
  items: Set<string>
  done: Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

/** A batch held until the connection is ready. */
interface Waiting {
  batch: Queued[]
  startedAt: number
  timer: NodeJS.Timeout | undefined
}

/**
 * Sends every command issued in one tick as one pipeline (one round trip), whatever the client's
 * own `enableAutoPipelining`, and merges adjacent reads into one `MGET`. Each pipeline gets one
 * timer: past `timeoutMs` its callers get a `RedisTimeoutError`. While the client is not ready
 * (connecting, reconnecting), commands wait in this queue, not in ioredis's offline queue, and are
 * dropped with a `RedisUnavailableError` when it is not ready in time: a write that failed that way
 * is never applied later. On a Redis Cluster, each command stays within one slot and each pipeline
 * within one node: a tick sends one pipeline per master it touches, in parallel (see steps.ts).
 */
export class PipelineBatcher {
  readonly #client: RedisClient
  readonly #timeoutMs: number
  readonly #deadlines: DeadlineQueue
  /** A single node's breaker; on a Cluster each master has its own (`#nodeBreakers`). */
  readonly #breaker: CircuitBreaker | undefined
  readonly #breakerFor: ((node?: string) => CircuitBreaker) | undefined
  readonly #nodeBreakers = new Map<string, CircuitBreaker>()
  /** Set on a Cluster: where each slot lives. */
  readonly router: SlotRouter | undefined
  #queue: Queued[] = []
  #scheduled = false
  #watchingReconnect = false
  /** Coalesced commands of this tick, by their coalescing key (see `coalesce`). */
  #coalesced = new Map<string, Coalesced>()
  /** Batches held until the connection is ready, oldest first. */
  #waiting: Waiting[] = []

  /**
   * `breakerFor` makes the circuit breaker of the client, or on a Cluster of each master (`node`
   * is its `host:port`): a failing shard then fails fast without taking the healthy ones with it.
   */
  constructor(client: RedisClient, timeoutMs: number, breakerFor?: (node?: string) => CircuitBreaker) {
    this.#client = client
    this.#timeoutMs = timeoutMs
    this.#deadlines = new DeadlineQueue(timeoutMs)
    this.router = routerFor(client)
    this.#breaker = this.router === undefined ? breakerFor?.() : undefined
    this.#breakerFor = this.router === undefined ? undefined : breakerFor
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
   * One command for every call of this tick with the same `key`: the items of all of them are
   * collected, and when the tick's pipeline leaves, `build(items)` makes the arguments of the one
   * command, sent last in it (a notice rides after the writes it tells of). `build` is pure: it
   * turns items into arguments and reads no other state. Resolves once that command is answered.
   */
  coalesce(
    key: string,
    name: string,
    build: (items: string[]) => Arg[],
    items: Iterable<string>,
  ): Promise<unknown> {
    let coalesced = this.#coalesced.get(key)
    if (coalesced === undefined) {
      let resolve: (value: unknown) => void = () => {}
      let reject: (error: Error) => void = () => {}
      const done = new Promise<unknown>((ok, fail) => {
        resolve = ok
        reject = fail
      })
      coalesced = { name, build, items: new Set(), done, resolve, reject }
      this.#coalesced.set(key, coalesced)
      if (!this.#scheduled) {
        this.#scheduled = true
        process.nextTick(() => this.#flush())
      }
    }
    for (const item of items) coalesced.items.add(item)
    return coalesced.done
  }

  #enqueue(item: Queued): void {
    this.#queue.push(item)
    if (!this.#scheduled) {
      this.#scheduled = true
      process.nextTick(() => this.#flush())
    }
  }

  #flush(): void {
    this.#scheduled = false
    const batch = this.#queue
    this.#queue = []
    if (this.#coalesced.size > 0) {
      for (const { name, build, items, resolve, reject } of this.#coalesced.values()) {
        batch.push({ kind: 'command', name, args: build([...items]), reply: 'string', resolve, reject })
      }
      this.#coalesced = new Map()
    }
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
      this.#dispatch(toSteps(batch, this.router), (steps, breaker) =>
        this.#deadlines.add(() => this.#expire(steps, this.#timeoutMs, breaker)),
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
      const remainingMs = Math.max(1, this.#timeoutMs - (now - startedAt))
      this.#dispatch(toSteps(batch, this.router), (steps, breaker) =>
        standaloneDeadline(remainingMs, () => this.#expire(steps, remainingMs, breaker)),
      )
    }
  }

  /**
   * Sends the steps as one pipeline, or on a Cluster as one pipeline per node, each with its own
   * deadline. On a Cluster the tick's notices (the sync bus's PUBLISH / SPUBLISH) leave once every
   * node has answered for the tick's writes, so that no instance hears of a write before Redis has
   * it; on a single node, riding last in the one pipeline does that.
   */
  #dispatch(
    steps: Step[],
    deadlineFor: (steps: Step[], breaker: CircuitBreaker | undefined) => Deadline,
  ): void {
    if (this.router === undefined) {
      this.#send(steps, deadlineFor(steps, this.#breaker), this.#breaker)
      return
    }
    const notices = steps.filter((step) => step.notice)
    const rest = notices.length === 0 ? steps : steps.filter((step) => !step.notice)
    if (notices.length === 0 || rest.length === 0) {
      this.#sendPerNode(steps, deadlineFor)
      return
    }
    afterAll(rest, () => this.#sendPerNode(notices, deadlineFor))
    this.#sendPerNode(rest, deadlineFor)
  }

  /** One pipeline per node (commands without keys ride with the first), unless the node's breaker is open. */
  #sendPerNode(
    steps: Step[],
    deadlineFor: (steps: Step[], breaker: CircuitBreaker | undefined) => Deadline,
  ): void {
    const router = this.router as SlotRouter
    const byNode = new Map<string, Step[]>()
    const keyless: Step[] = []
    for (const step of steps) {
      if (step.slot === undefined) {
        keyless.push(step)
        continue
      }
      const node = router.nodeOf(step.slot)
      const group = byNode.get(node)
      if (group === undefined) byNode.set(node, [step])
      else group.push(step)
    }
    if (keyless.length > 0) {
      const first = byNode.values().next().value
      if (first === undefined) byNode.set('', keyless)
      else first.push(...keyless)
    }
    const now = Date.now()
    for (const [node, group] of byNode) {
      const breaker = node === '' ? undefined : this.#nodeBreaker(node)
      if (breaker !== undefined && !breaker.allows(now)) {
        // The node may have been failed over meanwhile: the slot table says, once read again.
        router.refresh()
        failSteps(
          group,
          new RedisUnavailableError(
            `Redis node ${node} is marked down after repeated failures; the next probe is in ${breaker.probeIn(now)} ms`,
          ),
        )
        continue
      }
      this.#send(group, deadlineFor(group, breaker), breaker)
    }
  }

  /** The circuit breaker of one Cluster node, made on first use. */
  #nodeBreaker(node: string): CircuitBreaker | undefined {
    if (this.#breakerFor === undefined) return undefined
    let breaker = this.#nodeBreakers.get(node)
    if (breaker === undefined) {
      breaker = this.#breakerFor(node)
      this.#nodeBreakers.set(node, breaker)
    }
    return breaker
  }

  /**
   * The masters to visit for a namespace scan, once the Cluster knows them (waiting at most
   * `timeout` for it to be ready); `undefined` for a single node, where the batcher's own
   * commands reach the only one.
   */
  async masters(): Promise<Redis[] | undefined> {
    const router = this.router
    if (router === undefined) return undefined
    if (this.#client.status === 'end') {
      throw new RedisUnavailableError('The Redis connection is closed (client status `end`)')
    }
    if (this.#client.status !== 'ready') {
      const ready = await within(
        whenReady(this.#client).then(() => true),
        this.#timeoutMs,
        () => false,
      )
      if (!ready) {
        throw new RedisUnavailableError(
          `Redis is unreachable: the cluster was not ready within ${this.#timeoutMs} ms (client status \`${this.#client.status}\`)`,
        )
      }
    }
    const masters = router.masters()
    if (masters.length === 0) throw new RedisUnavailableError('The cluster client knows no master node')
    return masters
  }

  /**
   * Runs one command on one node (a Cluster master's SCAN), bounded by `timeout` like any other,
   * and counted by the circuit breaker.
   */
  async onNode<T>(node: Redis, name: string, args: Arg[]): Promise<T> {
    const breaker = this.#nodeBreaker(`${node.options.host}:${node.options.port}`)
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RedisTimeoutError(this.#timeoutMs, `${name} on ${node.options.host}:${node.options.port}`),
          ),
        this.#timeoutMs,
      )
    })
    try {
      const result = (await Promise.race([node.call(name, args), timedOut])) as T
      breaker?.succeeded()
      return result
    } catch (error) {
      const failure = wrapRedisError(error as Error, name)
      breaker?.failed(failure, Date.now())
      throw failure
    } finally {
      clearTimeout(timer)
    }
  }

  #send(steps: Step[], deadline: Deadline, breaker: CircuitBreaker | undefined): void {
    const failure = (error: unknown): void => {
      if (!deadline.settle()) return
      failSteps(steps, error)
      breaker?.failed(error as Error, Date.now())
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
        breaker?.succeeded()
      }, failure)
      return
    }
    const pipeline = this.#client.pipeline()
    for (const step of steps) {
      if (step.reply === 'buffer') pipeline.callBuffer(step.name, step.args)
      else pipeline.call(step.name, step.args)
    }
    const sentAt = Date.now()
    pipeline.exec().then((results) => {
      if (!deadline.settle()) return
      steps.forEach((step, index) => {
        const [error, result] = results?.[index] ?? [new Error('Redis sent no reply'), undefined]
        if (!error) step.settle(result)
        else if (this.router !== undefined && redirected.test(error.message)) this.#redirect(step, sentAt)
        else step.fail(wrapRedisError(error, step.name))
      })
      // Redis answered, even if some commands were refused (WRONGTYPE...): it is up.
      breaker?.succeeded()
    }, failure)
  }

  /**
   * A Cluster answered MOVED or ASK for a step of a pipeline (its slot moved: a failover, a
   * resharding). ioredis retries such a pipeline only when every command in it was redirected,
   * so the step goes again on its own, through the Cluster's own redirect handling, with what is
   * left of its time; the slot table is read again meanwhile.
   */
  #redirect(step: Step, sentAt: number): void {
    this.router?.refresh()
    const remainingMs = Math.max(1, this.#timeoutMs - (Date.now() - sentAt))
    this.#send(
      [step],
      standaloneDeadline(remainingMs, () => this.#expire([step], remainingMs, undefined)),
      undefined,
    )
  }

  #expire(steps: Step[], timeoutMs: number, breaker: CircuitBreaker | undefined): void {
    const error = new RedisTimeoutError(timeoutMs, describeSteps(steps))
    failSteps(steps, error)
    breaker?.failed(error, Date.now())
    // On a Cluster, a master that stops answering may have been failed over: read the slots again.
    this.router?.refresh()
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

/** A Cluster's redirection replies: the slot lives elsewhere now (MOVED) or for this command (ASK). */
const redirected = /^(MOVED|ASK) /

/** Calls `then` once each of `steps` has settled or failed. */
function afterAll(steps: Step[], then: () => void): void {
  let waiting = steps.length
  for (const step of steps) {
    const { settle, fail } = step
    let counted = false
    const arrived = (): void => {
      if (counted) return
      counted = true
      if (--waiting === 0) then()
    }
    step.settle = (result) => {
      settle(result)
      arrived()
    }
    step.fail = (error) => {
      fail(error)
      arrived()
    }
  }
}
