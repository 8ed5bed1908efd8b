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

/** The server's `redis_version`. */
export async function serverVersion(client: Redis): Promise<string> {
  return (await readInfo(client, 'server')).get('redis_version') ?? 'unknown'
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
