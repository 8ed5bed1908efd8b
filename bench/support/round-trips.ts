import type { ChainableCommander, Redis } from 'ioredis'

export interface ClientTraffic {
  /** Requests the client sent and waited on: each `call`/`callBuffer`, and each pipeline `exec`. */
  roundTrips: number
  /** Commands in those requests (a pipeline counts each of its commands). */
  commands: number
}

export interface TrafficCounter {
  read(): ClientTraffic
  reset(): void
}

/**
 * Counts what goes through `client.call`, `client.callBuffer` and `client.pipeline().exec()`: the
 * only ways flipcache's pipeline batcher talks to Redis. Wraps the methods of this one client
 * instance; typed commands such as `client.get()` are not counted.
 */
export function countTraffic(client: Redis): TrafficCounter {
  const traffic: ClientTraffic = { roundTrips: 0, commands: 0 }
  const countCall = <F extends (...args: never[]) => unknown>(method: F): F =>
    new Proxy(method, {
      apply(target, thisArg, args) {
        traffic.roundTrips++
        traffic.commands++
        return Reflect.apply(target, thisArg, args)
      },
    })
  client.call = countCall(client.call)
  client.callBuffer = countCall(client.callBuffer)
  client.pipeline = new Proxy(client.pipeline, {
    apply(target, thisArg, args) {
      const pipeline: ChainableCommander = Reflect.apply(target, thisArg, args)
      pipeline.exec = new Proxy(pipeline.exec, {
        apply(exec, execThis, execArgs) {
          traffic.roundTrips++
          traffic.commands += pipeline.length
          return Reflect.apply(exec, execThis, execArgs)
        },
      })
      return pipeline
    },
  })
  return {
    read: () => ({ ...traffic }),
    reset() {
      traffic.roundTrips = 0
      traffic.commands = 0
    },
  }
}
