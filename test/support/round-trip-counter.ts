import type { Socket } from 'node:net'
import type { Redis } from 'ioredis'

/** What ioredis sends on its own as it connects, through the same `sendCommand`. */
const handshake = new Set(['hello', 'client', 'info', 'select', 'auth'])

/**
 * Tells, for each command handed to `client.sendCommand` outside a pipeline, whether it opens a
 * round trip: a command sent on its own does; of the commands handed over while the socket is
 * corked (flipcache's transport sends a round trip of several commands that way: one write), only
 * the first does.
 */
export function roundTripOpener(client: Redis): () => boolean {
  const watched = new WeakSet<Socket>()
  let counted = false
  return () => {
    const socket = (client as unknown as { stream?: Socket }).stream
    if (socket === undefined || socket.writableCorked === 0) return true
    if (!watched.has(socket)) {
      watched.add(socket)
      const uncork = socket.uncork.bind(socket)
      socket.uncork = () => {
        counted = false
        uncork()
      }
    }
    if (counted) return false
    counted = true
    return true
  }
}

/**
 * Counts the round trips `client` makes from now on: commands sent on their own, the commands
 * handed over in one cork (see `roundTripOpener`), and pipeline executions. (A pipeline hands its
 * commands to the client's `sendCommand` too, each marked with its `pipelineIndex`; so does
 * ioredis's own connection handshake, which is left out.)
 */
export function countRoundTrips(client: Redis): { readonly count: number } {
  const counter = { count: 0 }
  const sendCommand = client.sendCommand.bind(client)
  const pipeline = client.pipeline.bind(client)
  const opens = roundTripOpener(client)
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const command = args[0] as { name: string; pipelineIndex?: number }
    if (command.pipelineIndex === undefined && !handshake.has(command.name) && opens()) counter.count++
    return sendCommand(...args)
  }) as Redis['sendCommand']
  client.pipeline = ((...args: Parameters<Redis['pipeline']>) => {
    counter.count++
    return pipeline(...args)
  }) as Redis['pipeline']
  return counter
}
