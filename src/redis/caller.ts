import type { Queued } from './steps.js'

/** What a caller waits in once its tick has left the queue: told when the caller has its answer. */
export interface CallerWait {
  left(): void
}

/**
 * One caller of the transport, with its own cache's time limit. It is answered once: by its reply,
 * an error, or its deadline, whichever comes first; whatever comes later is dropped, so a reply
 * that arrives after a caller timed out is ignored for that caller (and only for that one).
 */
export class Caller {
  readonly timeoutMs: number
  settled = false
  /** Set when the caller's tick leaves the queue (see batch.ts). */
  wait: CallerWait | undefined = undefined
  readonly #resolve: (value: unknown) => void
  readonly #reject: (error: Error) => void

  constructor(timeoutMs: number, resolve: (value: unknown) => void, reject: (error: Error) => void) {
    this.timeoutMs = timeoutMs
    this.#resolve = resolve
    this.#reject = reject
  }

  // Arrow functions: steps.ts hands them around unbound, as a call's resolve and reject.
  readonly resolve = (value: unknown): void => {
    if (this.settled) return
    this.settled = true
    this.wait?.left()
    this.#resolve(value)
  }

  readonly reject = (error: Error): void => {
    if (this.settled) return
    this.settled = true
    this.wait?.left()
    this.#reject(error)
  }
}

/** A queued call and who waits on it: one caller, or for a coalesced command each caller that joined it. */
export type Call = Queued & { waiting: Caller | readonly Caller[] }

/** Whether anyone still waits on `call`: a call whose callers all gave up is never sent. */
export function stillWanted(call: Call): boolean {
  const { waiting } = call
  if (waiting instanceof Caller) return !waiting.settled
  return waiting.some((caller) => !caller.settled)
}

/** Calls `each` for every caller of `calls`. */
export function callersOf(calls: readonly Call[], each: (caller: Caller) => void): void {
  for (const { waiting } of calls) {
    if (waiting instanceof Caller) each(waiting)
    else for (const caller of waiting) each(caller)
  }
}
