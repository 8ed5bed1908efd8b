import { type Call, Caller } from './caller.js'
import type { Arg, ReadReply, ReplyMode } from './steps.js'

/** The callers of one tick that share one command (`coalesce`). */
interface Coalesced {
  name: string
  build: (items: string[]) => Arg[]
  items: Set<string>
  callers: Caller[]
}

/**
 * The calls of one tick, whichever cache made them: collected until the tick ends
 * (`process.nextTick`), then handed to `flush` together, so that they can leave as one pipeline.
 * Each call carries its caller's time limit.
 */
export class TickQueue {
  readonly #flush: (calls: Call[]) => void
  #calls: Call[] = []
  /** Coalesced commands of this tick, by their coalescing key (see `coalesce`). */
  #coalesced = new Map<string, Coalesced>()
  #scheduled = false

  constructor(flush: (calls: Call[]) => void) {
    this.#flush = flush
  }

  command<T>(timeoutMs: number, name: string, args: Arg[], reply: ReplyMode): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const caller = new Caller(timeoutMs, resolve as (value: unknown) => void, reject)
      this.#push({
        kind: 'command',
        name,
        args,
        reply,
        resolve: caller.resolve,
        reject: caller.reject,
        waiting: caller,
      })
    })
  }

  read(timeoutMs: number, keys: string[], reply: ReplyMode, withTtl: boolean): Promise<ReadReply> {
    return new Promise<ReadReply>((resolve, reject) => {
      const caller = new Caller(timeoutMs, resolve as (value: unknown) => void, reject)
      this.#push({
        kind: 'read',
        keys,
        reply,
        withTtl,
        resolve: caller.resolve,
        reject: caller.reject,
        waiting: caller,
      })
    })
  }

  /**
   * One command for every call of this tick with the same `key`: the items of all of them are
   * collected, and when the tick's pipeline leaves, `build(items)` makes the arguments of the one
   * command, sent last in it (a notice rides after the writes it tells of). `build` is pure: it
   * turns items into arguments and reads no other state. Each caller's promise settles once that
   * command is answered, or when its own time runs out.
   */
  coalesce(
    timeoutMs: number,
    key: string,
    name: string,
    build: (items: string[]) => Arg[],
    items: Iterable<string>,
  ): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      let coalesced = this.#coalesced.get(key)
      if (coalesced === undefined) {
        coalesced = { name, build, items: new Set(), callers: [] }
        this.#coalesced.set(key, coalesced)
        this.#schedule()
      }
      for (const item of items) coalesced.items.add(item)
      coalesced.callers.push(new Caller(timeoutMs, resolve, reject))
    })
  }

  #push(call: Call): void {
    this.#calls.push(call)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    process.nextTick(() => this.#end())
  }

  /** The tick is over: its calls leave, the coalesced commands last. */
  #end(): void {
    this.#scheduled = false
    const calls = this.#calls
    this.#calls = []
    if (this.#coalesced.size > 0) {
      for (const { name, build, items, callers } of this.#coalesced.values()) {
        calls.push({
          kind: 'command',
          name,
          args: build([...items]),
          reply: 'string',
          resolve: (value) => {
            for (const caller of callers) caller.resolve(value)
          },
          reject: (error) => {
            for (const caller of callers) caller.reject(error)
          },
          waiting: callers,
        })
      }
      this.#coalesced = new Map()
    }
    this.#flush(calls)
  }
}
