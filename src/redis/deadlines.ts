import * as clock from '../clock.js'

/** A running piece of work with a deadline. */
export interface Deadline {
  /** Marks the work done; `false` when the deadline had already passed (and its expiry ran). */
  settle(): boolean
}

class QueuedDeadline implements Deadline {
  done = false
  constructor(
    readonly at: number,
    readonly onExpire: () => void,
    readonly queue: DeadlineQueue,
  ) {}

  settle(): boolean {
    if (this.done) return false
    this.done = true
    this.queue.dropSettled()
    return true
  }
}

/**
 * Deadlines that all have the same length expire in the order they were added, so one timer,
 * armed for the oldest, serves them all: no `setTimeout` / `clearTimeout` per Redis round trip.
 */
export class DeadlineQueue {
  readonly #ms: number
  #pending: QueuedDeadline[] = []
  #head = 0
  #timer: NodeJS.Timeout | undefined

  constructor(ms: number) {
    this.#ms = ms
  }

  /** Starts a deadline `ms` from now; `onExpire` runs if it passes before `settle()`. */
  add(onExpire: () => void): Deadline {
    const deadline = new QueuedDeadline(clock.now() + this.#ms, onExpire, this)
    this.#pending.push(deadline)
    this.#timer ??= this.#arm(deadline.at)
    return deadline
  }

  /** Forgets the settled deadlines at the front (they mostly settle in order). */
  dropSettled(): void {
    while (this.#head < this.#pending.length && this.#pending[this.#head]?.done) this.#head++
    if (this.#head === this.#pending.length) {
      this.#pending.length = 0
      this.#head = 0
    } else if (this.#head > 1024) {
      this.#pending.splice(0, this.#head)
      this.#head = 0
    }
  }

  #arm(at: number): NodeJS.Timeout {
    // unref: the pending Redis commands, not this timer, are what keeps a process alive.
    return setTimeout(() => this.#sweep(), Math.max(0, at - clock.now())).unref()
  }

  #sweep(): void {
    this.#timer = undefined
    const now = clock.now()
    // `#head` is read afresh each time: an onExpire that settles another deadline moves it (dropSettled).
    while (this.#head < this.#pending.length) {
      const deadline = this.#pending[this.#head] as QueuedDeadline
      if (!deadline.done && deadline.at > now) break
      this.#head++
      if (deadline.done) continue
      deadline.done = true
      deadline.onExpire()
    }
    this.dropSettled()
    const next = this.#pending[this.#head]
    if (next !== undefined) this.#timer = this.#arm(next.at)
  }
}

/**
 * A DeadlineQueue per length of deadline: the caches of one client may each have their own
 * `timeout`, and deadlines of one length still expire in the order they were added, so a queue per
 * length keeps one timer per length, however many round trips are out.
 */
export class Deadlines {
  readonly #queues = new Map<number, DeadlineQueue>()

  /** Starts a deadline `ms` from now; `onExpire` runs if it passes before `settle()`. */
  add(ms: number, onExpire: () => void): Deadline {
    let queue = this.#queues.get(ms)
    if (queue === undefined) {
      queue = new DeadlineQueue(ms)
      this.#queues.set(ms, queue)
    }
    return queue.add(onExpire)
  }
}
