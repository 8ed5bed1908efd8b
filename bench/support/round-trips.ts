import type { ChainableCommander, Redis } from 'ioredis'
import { roundTripOpener } from '../../test/support/round-trip-counter.js'

export interface ClientTraffic {
  /** Requests the client sent and waited on: each command sent on its own, each corked group of commands, and each pipeline `exec`. */
  roundTrips: number
  /** Commands in those requests (a pipeline counts each of its commands). */
  commands: number
}

export interface TrafficCounter {
  read(): ClientTraffic
  reset(): void
}

/**
 * Counts what goes through `client.sendCommand` on its own (flipcache's single commands, and every
 * `call`, `callBuffer` or typed command, which end there; a round trip of several commands is
 * handed over there too, one command at a time with the socket corked) and
 * `client.pipeline().exec()` (on a Cluster): the ways flipcache's transport talks to Redis. A
 * pipeline's commands reach `sendCommand` with the pipeline's stream, and count with their `exec`
 * instead. Wraps the methods of this one client instance.
 */
export function countTraffic(client: Redis): TrafficCounter {
  const traffic: ClientTraffic = { roundTrips: 0, commands: 0 }
  const opens = roundTripOpener(client)
  client.sendCommand = new Proxy(client.sendCommand, {
    apply(target, thisArg, args) {
      if (args[1] === undefined) {
        if (opens()) traffic.roundTrips++
        traffic.commands++
      }
      return Reflect.apply(target, thisArg, args)
    },
  })
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
