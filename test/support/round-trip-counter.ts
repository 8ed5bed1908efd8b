import type { Redis } from 'ioredis'

/** What ioredis sends on its own as it connects, through the same `sendCommand`. */
const handshake = new Set(['hello', 'client', 'info', 'select', 'auth'])

/**
 * Counts the round trips `client` makes from now on: commands sent on their own plus pipeline
 * executions. (A pipeline hands its commands to the client's `sendCommand` too, each marked with its
 * `pipelineIndex`; so does ioredis's own connection handshake, which is left out.)
 */
export function countRoundTrips(client: Redis): { readonly count: number } {
  const counter = { count: 0 }
  const sendCommand = client.sendCommand.bind(client)
  const pipeline = client.pipeline.bind(client)
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const command = args[0] as { name: string; pipelineIndex?: number }
    if (command.pipelineIndex === undefined && !handshake.has(command.name)) counter.count++
    return sendCommand(...args)
  }) as Redis['sendCommand']
  client.pipeline = ((...args: Parameters<Redis['pipeline']>) => {
    counter.count++
    return pipeline(...args)
  }) as Redis['pipeline']
  return counter
}
