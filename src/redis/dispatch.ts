import type { Socket } from 'node:net'
import type { Cluster, Command, Redis } from 'ioredis'
import * as clock from '../clock.js'
import { RedisTimeoutError, RedisUnavailableError } from '../errors.js'
import type { Batch, BatchRoute } from './batch.js'
import type { Breakers } from './breakers.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import type { RedisClient } from './connection.js'
import { commandOf, fence, writes } from './fence.js'
import { afterAll, stepsByNode } from './per-node.js'
import { serverOf } from './server-name.js'
import type { SlotRouter } from './slot-router.js'
import { describeSteps, failSteps, isReplyError, type Step, toSteps, wrapRedisError } from './steps.js'

/**
 * One round trip of a batch (a pipeline, or a single command), and whether it was answered or given
 * up. On a single node it is the batch's whole way out, and so its route (see batch.ts): a late
 * caller is told what it waited for and where, and an expiry fails and fences this round trip.
 */
class RoundTrip implements BatchRoute {
  answered = false
  /** When it left (for `#answeredAt`). */
  readonly sentAt = performance.now()

  constructor(
    readonly steps: Step[],
    /** The commands sent for the steps, to be fenced should the round trip time out. */
    readonly commands: Command[],
    /** The Cluster master it went to (`host:port`); `undefined` on a single node, or for a redirect. */
    readonly node: string | undefined,
    readonly breaker: CircuitBreaker | undefined,
    /** Whether this round trip is its half-open breaker's one probe. */
    readonly probe: boolean,
    /** What the dispatch does when the batch's time runs out (see `Dispatch.send`). */
    readonly owner: TripOwner,
  ) {}

  late(timeoutMs: number): Error {
    return new RedisTimeoutError(timeoutMs, describeSteps(this.steps), this.owner.server)
  }

  expired(error: Error): void {
    this.owner.expire([this], error)
  }
}

/** The dispatch, as a single node's round trip sees it. */
interface TripOwner {
  readonly server: string | undefined
  expire(trips: RoundTrip[], error: Error): void
}

/**
 * Sends a batch: as one pipeline to a single node, or on a Cluster as one pipeline per master it
 * touches, in parallel, each counted by that master's breaker. On a Cluster the tick's notices (the
 * sync bus's PUBLISH / SPUBLISH) leave once every node has answered for the tick's writes, so that
 * no instance hears of a write before Redis has it; on a single node, riding last in the one
 * pipeline does that. A step a Cluster redirects (MOVED, ASK) goes again on its own.
 */
export class Dispatch {
  readonly #client: RedisClient
  readonly #router: SlotRouter | undefined
  readonly #breakers: Breakers
  readonly #keyPrefix: string | undefined
  /** What the round trips need of the dispatch (see `RoundTrip`). */
  readonly #owner: TripOwner
  /** When the client last answered a round trip (`performance.now()`). */
  #answeredAt = Number.NEGATIVE_INFINITY

  constructor(client: RedisClient, router: SlotRouter | undefined, breakers: Breakers) {
    this.#client = client
    this.#router = router
    this.#breakers = breakers
    this.#keyPrefix = (client.options as { keyPrefix?: string }).keyPrefix
    this.#owner = { server: serverOf(client), expire: (trips, error) => this.#expire(trips, error) }
  }

  send(batch: Batch): void {
    const steps = toSteps(batch.live(), this.#router)
    if (steps.length === 0) {
      // Nobody waits any more: if this was the probe, the next round trip may probe instead.
      if (batch.probe) this.#breakers.of()?.probeDropped()
      return
    }
    // Held while sending: steps failed at once (an open breaker) must not end the batch early.
    batch.hold()
    if (this.#router === undefined) {
      const trip = this.#trip(steps, this.#breakers.of(), batch.probe, undefined)
      batch.route = trip
      this.#roundTrip(batch, trip, undefined)
    } else {
      const trips: RoundTrip[] = []
      batch.route = {
        late: (timeoutMs) => new RedisTimeoutError(timeoutMs, describeSteps(steps), this.#serverOf(steps)),
        expired: (error) => this.#expire(trips, error),
      }
      const notices = steps.filter((step) => step.notice)
      const rest = notices.length === 0 ? steps : steps.filter((step) => !step.notice)
      if (notices.length === 0 || rest.length === 0) {
        this.#perNode(batch, trips, steps, this.#router)
      } else {
        const router = this.#router
        afterAll(rest, () => this.#perNode(batch, trips, notices, router))
        this.#perNode(batch, trips, rest, router)
      }
    }
    batch.release()
  }

  /** The server `steps` went to: the client's, or on a Cluster the node when they all went to one (else `undefined`). */
  #serverOf(steps: Step[]): string | undefined {
    if (this.#router === undefined) return serverOf(this.#client)
    const nodes = new Set(stepsByNode(steps, this.#router).map(({ node }) => node))
    const [only] = nodes
    return nodes.size === 1 && only !== '' ? only : undefined
  }

  /** One pipeline per node (commands without keys ride with the first), unless the node's breaker is open. */
  #perNode(batch: Batch, trips: RoundTrip[], steps: Step[], router: SlotRouter): void {
    const now = clock.now()
    for (const { node, steps: group } of stepsByNode(steps, router)) {
      const breaker = node === '' ? undefined : this.#breakers.of(node)
      const admission = breaker?.admit(now) ?? 'send'
      if (breaker !== undefined && admission === 'refuse') {
        // The node may have been failed over meanwhile: the slot table says, once read again.
        router.refresh()
        failSteps(
          group,
          new RedisUnavailableError(
            `Redis node ${node} is marked down after repeated failures; the next probe is in ${breaker.probeIn(now)} ms`,
            { server: node },
          ),
        )
        continue
      }
      const trip = this.#trip(group, breaker, admission === 'probe', node === '' ? undefined : node)
      this.#roundTrip(batch, trip, trips)
    }
  }

  /** A round trip for `steps`, their commands made now (a timeout fences exactly these). */
  #trip(
    steps: Step[],
    breaker: CircuitBreaker | undefined,
    probe: boolean,
    node: string | undefined,
  ): RoundTrip {
    // A loop rather than steps.map(closure): fewer objects per call, and with the route below, a
    // call's objects die young (measured: 3.6 KB a call promoted to the old generation before, 0.6 after).
    const commands = new Array<Command>(steps.length)
    const lowercase = this.#router === undefined
    for (let index = 0; index < steps.length; index++) {
      commands[index] = commandOf(steps[index] as Step, this.#keyPrefix, lowercase)
    }
    return new RoundTrip(steps, commands, node, breaker, probe, this.#owner)
  }

  /** Sends `trip`: one command on its own, or a pipeline. `trips`: on a Cluster, the batch's round trips. */
  #roundTrip(batch: Batch, trip: RoundTrip, trips: RoundTrip[] | undefined): void {
    trips?.push(trip)
    batch.hold()
    const { steps, commands, breaker, probe } = trip
    const failure = (error: unknown): void => {
      if (isReplyError(error)) this.#answeredAt = performance.now()
      if (trip.answered) return
      trip.answered = true
      failSteps(steps, error)
      // An error reply (WRONGTYPE, OOM, NOSCRIPT...) is Redis answering: the connection is alive.
      if (isReplyError(error)) breaker?.succeeded()
      else breaker?.failed(error as Error, clock.now(), probe)
      batch.release()
    }
    const only = steps.length === 1 ? steps[0] : undefined
    const onlyCommand = commands[0]
    if (only !== undefined && onlyCommand !== undefined) {
      const sent = this.#client.sendCommand(onlyCommand) as Promise<unknown>
      sent.then((result) => {
        this.#answeredAt = performance.now()
        if (trip.answered) return
        trip.answered = true
        only.settle(result)
        breaker?.succeeded()
        batch.release()
      }, failure)
      return
    }
    if (this.#router === undefined) {
      this.#sendEach(batch, trip, failure)
      return
    }
    const pipeline = this.#client.pipeline()
    // Pipeline.sendCommand is ioredis's own (call() builds a Command and hands it there); its types hide it.
    const queue = pipeline as unknown as { sendCommand(command: Command): unknown }
    for (const command of commands) queue.sendCommand(command)
    pipeline.exec().then((results) => {
      this.#answeredAt = performance.now()
      if (trip.answered) return
      trip.answered = true
      steps.forEach((step, index) => {
        const [error, result] = results?.[index] ?? [new Error('Redis sent no reply'), undefined]
        if (!error) step.settle(result)
        else if (this.#router !== undefined && trips !== undefined && redirected.test(error.message)) {
          this.#redirect(batch, trips, step, this.#router)
        } else step.fail(wrapRedisError(error, step.name))
      })
      // Redis answered, even if some commands were refused (WRONGTYPE...): it is up.
      breaker?.succeeded()
      batch.release()
    }, failure)
  }

  /**
   * A single node's round trip of several commands: each handed to the client on its own, the
   * socket corked meanwhile so that they leave in one write, as a pipeline would (ioredis's
   * `Pipeline` costs more than the commands it carries: measured, SET + PUBLISH 79 µs a call that
   * way, 66 µs this way, against 46 µs for a lone SET). Redis runs them in order; their callers
   * hear back once every reply is in, as with a pipeline, so that a write's caller never resumes
   * before the notice riding behind it has been run.
   */
  #sendEach(batch: Batch, trip: RoundTrip, failure: (error: unknown) => void): void {
    const { steps, commands, breaker } = trip
    const replies = new Array<unknown>(commands.length)
    const refused = new Array<Error | undefined>(commands.length)
    let waiting = commands.length
    const arrived = (): void => {
      if (--waiting > 0 || trip.answered) return
      trip.answered = true
      for (let index = 0; index < steps.length; index++) {
        const step = steps[index] as Step
        const error = refused[index]
        if (error === undefined) step.settle(replies[index])
        else step.fail(wrapRedisError(error, step.name))
      }
      // Redis answered, even if some commands were refused (WRONGTYPE...): it is up.
      breaker?.succeeded()
      batch.release()
    }
    const socket = (this.#client as unknown as { stream?: Socket }).stream
    socket?.cork()
    try {
      for (let index = 0; index < commands.length; index++) {
        const sent = this.#client.sendCommand(commands[index] as Command) as Promise<unknown>
        sent.then(
          (reply) => {
            this.#answeredAt = performance.now()
            replies[index] = reply
            arrived()
          },
          (error: unknown) => {
            if (!isReplyError(error)) return failure(error)
            this.#answeredAt = performance.now()
            refused[index] = error
            arrived()
          },
        )
      }
    } finally {
      // Even should ioredis throw: a socket left corked would hold every later command.
      socket?.uncork()
    }
  }

  /**
   * A Cluster answered MOVED or ASK for a step of a pipeline (its slot moved: a failover, a
   * resharding). ioredis retries such a pipeline only when every command in it was redirected,
   * so the step goes again on its own, through the Cluster's own redirect handling, within what is
   * left of its callers' time; the slot table is read again meanwhile.
   */
  #redirect(batch: Batch, trips: RoundTrip[], step: Step, router: SlotRouter): void {
    router.refresh()
    this.#roundTrip(batch, this.#trip([step], undefined, false, undefined), trips)
  }

  /**
   * The batch's longest time limit passed: every round trip not answered yet fails, and counts once
   * as a failure for its breaker. Its callers were told already; failing the steps lets the notices
   * held back behind them go (the writes may still be applied).
   */
  #expire(trips: RoundTrip[], error: Error): void {
    const now = clock.now()
    for (const trip of trips.filter((out) => !out.answered)) {
      trip.answered = true
      failSteps(trip.steps, error)
      trip.breaker?.failed(error, now, trip.probe)
      // A write reported as failed must never land later; and a connection that answered nothing
      // since this round trip left is treated as dead, so that ioredis's queue cannot grow without
      // bound behind a silent partition.
      if (trip.steps.some(writes) || this.#answeredAt < trip.sentAt) this.#fence(trip)
    }
    // On a Cluster, a master that stops answering may have been failed over: read the slots again.
    this.#router?.refresh()
  }

  /** Resets the connection a timed-out round trip went on (see fence.ts). */
  #fence(trip: RoundTrip): void {
    if (this.#router === undefined) {
      fence(this.#client as Redis, trip.commands)
      return
    }
    if (trip.node === undefined) return
    const node = (this.#client as Cluster)
      .nodes('master')
      .find(({ options }) => `${options.host}:${options.port}` === trip.node)
    if (node !== undefined) fence(node, trip.commands)
  }
}

/** A Cluster's redirection replies: the slot lives elsewhere now (MOVED) or for this command (ASK). */
const redirected = /^(MOVED|ASK) /
