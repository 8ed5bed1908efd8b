import type { Redis } from 'ioredis'

/** The `field:value` lines of one `INFO` section. */
export async function readInfo(client: Redis, section: string): Promise<Map<string, string>> {
  const text = await client.info(section)
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1))
  }
  return fields
}

/**
 * The server's `redis_version`; on Valkey (which reports `redis_version:7.2.4` to clients that check
 * it) its own, as 'Valkey 8.0.1'.
 */
export async function serverVersion(client: Redis): Promise<string> {
  const info = await readInfo(client, 'server')
  const valkey = info.get('valkey_version')
  return valkey === undefined ? (info.get('redis_version') ?? 'unknown') : `Valkey ${valkey}`
}

/** `INFO stats` `total_commands_processed`: every command the server has run, from every client. */
export async function commandsProcessed(client: Redis): Promise<number> {
  const value = (await readInfo(client, 'stats')).get('total_commands_processed')
  const count = Number(value)
  if (value === undefined || !Number.isSafeInteger(count)) {
    throw new Error(`INFO stats has no usable total_commands_processed (got ${String(value)})`)
  }
  return count
}

/** Commands the server has run and the µs it spent in them (`INFO commandstats`), INFO itself left out. */
export interface CommandWork {
  calls: number
  usec: number
}

/** `INFO commandstats` summed over every command but INFO (the reading itself): calls and µs of CPU in them. */
export async function commandWork(client: Redis): Promise<CommandWork> {
  const work: CommandWork = { calls: 0, usec: 0 }
  for (const [field, value] of await readInfo(client, 'commandstats')) {
    if (!field.startsWith('cmdstat_') || field === 'cmdstat_info') continue
    work.calls += Number(/(?:^|,)calls=(\d+)/.exec(value)?.[1] ?? 0)
    work.usec += Number(/(?:^|,)usec=(\d+)/.exec(value)?.[1] ?? 0)
  }
  return work
}
