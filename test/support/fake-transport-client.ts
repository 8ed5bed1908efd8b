import { EventEmitter } from 'node:events'
import type { RedisClient } from '../../src/redis/connection.js'

type Reply = [error: Error | null, result: unknown]

/** A command sent on its own (`call` / `callBuffer`), whose reply the test releases. */
export interface SentCommand {
  name: string
  args: unknown[]
  answer(result: unknown): void
  fail(error: Error): void
}

/** A pipeline sent with `exec()`, whose replies the test releases. */
export class FakePipeline {
  readonly commands: { name: string; args: unknown[] }[] = []
  executed = false
  #answer: (replies: Reply[]) => void = () => {}
  #fail: (error: Error) => void = () => {}

  call(name: string, args: unknown[]): this {
    this.commands.push({ name, args })
    return this
  }

  callBuffer(name: string, args: unknown[]): this {
    return this.call(name, args)
  }

  exec(): Promise<Reply[]> {
    this.executed = true
    return new Promise<Reply[]>((resolve, reject) => {
      this.#answer = resolve
      this.#fail = reject
    })
  }

  /** Every command answered with `result` (or `results[i]`). */
  answer(...results: unknown[]): void {
    this.#answer(this.commands.map((_, index) => [null, results.length === 1 ? results[0] : results[index]]))
  }

  fail(error: Error): void {
    this.#fail(error)
  }
}

/**
 * The part of an ioredis client that flipcache's transport uses, held by the test: `status`,
 * single commands and pipelines that wait until the test answers them, and the 'ready' event.
 */
export class FakeRedisClient extends EventEmitter {
  status = 'ready'
  readonly pipelines: FakePipeline[] = []
  readonly singles: SentCommand[] = []

  call(name: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.singles.push({ name, args, answer: resolve, fail: reject })
    })
  }

  callBuffer(name: string, args: unknown[]): Promise<unknown> {
    return this.call(name, args)
  }

  pipeline(): FakePipeline {
    const pipeline = new FakePipeline()
    this.pipelines.push(pipeline)
    return pipeline
  }

  connect(): Promise<void> {
    return Promise.resolve()
  }

  /** The connection comes back: status `ready`, and the 'ready' event. */
  becomeReady(): void {
    this.status = 'ready'
    this.emit('ready')
  }

  /** As the transport sees it. */
  get asClient(): RedisClient {
    return this as unknown as RedisClient
  }
}

/** Resolves once the current tick's calls have left the transport's queue (flushed on `process.nextTick`). */
export function afterTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve))
}
