import { RedisTimeoutError } from '../errors.js'
import { type Call, type Caller, type CallerWait, callersOf, stillWanted } from './caller.js'
import type { Deadline, Deadlines } from './deadlines.js'

/** The callers of a batch that share one time limit, and so one deadline. */
class CallerGroup implements CallerWait {
  readonly timeoutMs: number
  readonly callers: Caller[] = []
  /** Callers not answered yet. */
  waiting = 0
  deadline: Deadline | undefined
  readonly #left: (group: CallerGroup) => void

  constructor(timeoutMs: number, left: (group: CallerGroup) => void) {
    this.timeoutMs = timeoutMs
    this.#left = left
  }

  left(): void {
    if (--this.waiting === 0) this.#left(this)
  }
}

/**
 * Where a batch is on its way out: the readiness gate holding it, or the round trips it went as. (An
 * object rather than two callbacks set on every batch: on the single-node path the round trip is its
 * own route, and no closure is made per batch for it.)
 */
export interface BatchRoute {
  /** What a caller whose time ran out is told (where the batch was, and on which server). */
  late(timeoutMs: number): Error
  /** Runs once, when the longest time limit of the batch ran out before the batch was done. */
  expired(error: Error): void
}

/** A batch not yet held or sent. */
const queued: BatchRoute = {
  late: (timeoutMs) => new RedisTimeoutError(timeoutMs, 'a pipeline'),
  expired() {},
}

/**
 * One tick's calls once they left the queue, on their way through the readiness gate and out to
 * Redis. Every caller has its own cache's time limit, counted from the moment the tick left: the
 * callers of one limit share a deadline (in the `Deadlines` queue of that length, so one timer
 * still serves many batches), and each hears of its own expiry, whatever else rides along. The
 * longest limit also bounds the batch's round trips: when it passes, the round trips not answered
 * yet count as failed (`onExpired`), once each.
 */
export class Batch {
  readonly calls: Call[]
  /** Where the batch is (held by the gate, or sent): what its late callers are told, and who hears of its expiry. */
  route: BatchRoute = queued
  expired = false
  /** Whether the batch is its single-node breaker's probe (a half-open breaker lets one round trip go). */
  probe = false
  readonly #groups: CallerGroup[] = []
  readonly #last: CallerGroup
  /** Round trips out and not answered: the last deadline waits for them too. */
  #outstanding = 0
  #someGaveUp = false

  constructor(calls: Call[], deadlines: Deadlines) {
    this.calls = calls
    callersOf(calls, (caller) => {
      const group = this.#groupOf(caller.timeoutMs)
      group.callers.push(caller)
      group.waiting++
      caller.wait = group
    })
    let last = this.#groups[0] as CallerGroup
    for (const group of this.#groups) {
      if (group.timeoutMs > last.timeoutMs) last = group
      group.deadline = deadlines.add(group.timeoutMs, () => this.#expire(group))
    }
    this.#last = last
  }

  /** The calls someone still waits on: a call whose callers all gave up while it waited is never sent. */
  live(): Call[] {
    return this.#someGaveUp ? this.calls.filter(stillWanted) : this.calls
  }

  /** A round trip of the batch went out (or is being sent): the batch is not done before it is answered. */
  hold(): void {
    this.#outstanding++
  }

  /** A round trip of the batch was answered (or failed). */
  release(): void {
    if (--this.#outstanding === 0 && this.#last.waiting === 0) this.#last.deadline?.settle()
  }

  #groupOf(timeoutMs: number): CallerGroup {
    for (const group of this.#groups) if (group.timeoutMs === timeoutMs) return group
    const group = new CallerGroup(timeoutMs, (done) => {
      if (done !== this.#last || this.#outstanding === 0) done.deadline?.settle()
    })
    this.#groups.push(group)
    return group
  }

  #expire(group: CallerGroup): void {
    const error = this.route.late(group.timeoutMs)
    this.#someGaveUp = true
    // The answered callers ignore it.
    for (const caller of group.callers) caller.reject(error)
    if (group !== this.#last) return
    this.expired = true
    this.route.expired(error)
  }
}
