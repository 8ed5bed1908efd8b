import type { Redis } from 'ioredis'

/** Calls per command since the server started, from `INFO commandstats` (e.g. { get: 3, mget: 1 }). */
export async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats')
  const calls: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1] as string] = Number(match[2])
  }
  return calls
}

/**
 * What a new connection sends before its first command (handshake, ready check), a new cache's sync
 * subscription, and a replica's acknowledgements to its master (REPLCONF ACK, once a second: Redis
 * 8 counts them on a Cluster master).
 */
const handshake = new Set(['hello', 'info', 'client|setinfo', 'select', 'auth', 'subscribe', 'replconf'])

/** How many times each command ran while `work` ran, connection handshakes and the INFO calls left out. */
export async function countCommands(
  client: Redis,
  work: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const before = await commandCalls(client)
  await work()
  const after = await commandCalls(client)
  const delta: Record<string, number> = {}
  for (const [command, calls] of Object.entries(after)) {
    const ran = calls - (before[command] ?? 0)
    if (ran > 0 && !handshake.has(command)) delta[command] = ran
  }
  return delta
}
