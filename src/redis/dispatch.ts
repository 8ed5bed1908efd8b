import type { Cluster, Command, Redis } from 'ioredis'
import * as clock from '../clock.js'
import { RedisTimeoutError, RedisUnavailableError } from '../errors.js'
import type { Batch } from './batch.js'
import type { Breakers } from './breakers.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import type { RedisClient } from './connection.js'
import { commandOf, fence, writes } from './fence.js'
import { afterAll, stepsByNode } from './per-node.js'
import { serverOf } from './server-name.js'
import type { SlotRouter } from './slot-router.js'
import { describeSteps, failSteps, isReplyError, type Step, toSteps, wrapRedisError } from './steps.js'

/** One round trip of a batch (a pipeline, or a single command), and whether it was answered or given up. */
interface RoundTrip {
  steps: Step[]
  /** The commands sent for the steps, to be fenced should the round trip time out. */
  commands: Command[]
  /** The Cluster master it went to (`host:port`); `undefined` on a single node, or for a redirect. */
  node: string | undefined
  breaker: CircuitBreaker | undefined
  /** Whether this round trip is its half-open breaker's one probe. */
  probe: boolean
  /** When it left (for `#answeredAt`). */
  sentAt: number
  answered: boolean
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
  /** When the client last answered a round trip (`performance.now()`). */
  #answeredAt = Number.NEGATIVE_INFINITY

  constructor(client: RedisClient, router: SlotRouter | undefined, breakers: Breakers) {
    this.#client = client
    this.#router = router
    this.#breakers = breakers
    this.#keyPrefix = (client.options as { keyPrefix?: string }).keyPrefix
  }

  send(batch: Batch): void {
    const steps = toSteps(batch.live(), this.#router)
    if (steps.length === 0) {
      // Nobody waits any more: if this was the probe, the next round trip may probe instead.
      if (batch.probe) this.#breakers.of()?.probeDropped()
      return
    }
    const trips: RoundTrip[] = []
    batch.late = (timeoutMs) => new RedisTimeoutError(timeoutMs, describeSteps(steps), this.#serverOf(steps))
    batch.onExpired = (error) => this.#expire(trips, error)
    // Held while sending: steps failed at once (an open breaker) must not end the batch early.
    batch.hold()
    if (this.#router === undefined) {
      this.#roundTrip(batch, trips, steps, this.#breakers.of(), batch.probe)
    } else {
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
      this.#roundTrip(batch, trips, group, breaker, admission === 'probe', node === '' ? undefined : node)
    }
  }

  #roundTrip(
    batch: Batch,
    trips: RoundTrip[],
    steps: Step[],
    breaker: CircuitBreaker | undefined,
    probe = false,
    node: string | undefined = undefined,
  ): void {
    const commands = steps.map((step) => commandOf(step, this.#keyPrefix))
    const trip: RoundTrip = {
      steps,
      commands,
      node,
      breaker,
      probe,
      sentAt: performance.now(),
      answered: false,
    }
    trips.push(trip)
    batch.hold()
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
        else if (this.#router !== undefined && redirected.test(error.message)) {
          this.#redirect(batch, trips, step, this.#router)
        } else step.fail(wrapRedisError(error, step.name))
      })
      // Redis answered, even if some commands were refused (WRONGTYPE...): it is up.
      breaker?.succeeded()
      batch.release()
    }, failure)
  }

  /**
   * A Cluster answered MOVED or ASK for a step of a pipeline (its slot moved: a failover, a
   * resharding). ioredis retries such a pipeline only when every command in it was redirected,
   * so the step goes again on its own, through the Cluster's own redirect handling, within what is
   * left of its callers' time; the slot table is read again meanwhile.
   */
  #redirect(batch: Batch, trips: RoundTrip[], step: Step, router: SlotRouter): void {
    router.refresh()
    this.#roundTrip(batch, trips, [step], undefined)
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
