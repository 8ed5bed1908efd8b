import type { Redis } from 'ioredis'

/** The `field:value` lines of one `INFO` section. */
export async function readInfo(client: Redis, section: string): Promise<Map<string, string>> {
  return parseInfo(await client.info(section))
}

/** The `field:value` lines of an `INFO` reply, of every section in it (`# Section` headers and blank lines skipped). */
export function parseInfo(text: string): Map<string, string> {
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

/** What the server has done so far, read by one `INFO`: to take the difference around a timed run. */
export interface ServerCounters {
  /** `total_commands_processed`: every command the server has run, from every client. */
  commands: number
  /** `used_cpu_sys` + `used_cpu_user`, in seconds: the CPU of the server process; `NaN` when the server reports neither. */
  cpuSeconds: number
}

/** The counters in the fields of an `INFO` reply holding the stats and cpu sections. */
export function serverCounters(fields: Map<string, string>): ServerCounters {
  const sys = Number(fields.get('used_cpu_sys') ?? Number.NaN)
  const user = Number(fields.get('used_cpu_user') ?? Number.NaN)
  return { commands: commandsOf(fields), cpuSeconds: sys + user }
}

/**
 * {@link ServerCounters} in one `INFO stats cpu` (several sections in one call: Redis 7+); a server
 * that refuses several sections gets a plain `INFO` (which holds both) from then on.
 */
export class ServerCounterReader {
  readonly #client: Pick<Redis, 'info'>
  #severalSections = true

  constructor(client: Pick<Redis, 'info'>) {
    this.#client = client
  }

  async read(): Promise<ServerCounters> {
    if (this.#severalSections) {
      try {
        return serverCounters(parseInfo(await this.#client.info('stats', 'cpu')))
      } catch (error) {
        if (!/^ERR\b/.test((error as Error).message)) throw error
        this.#severalSections = false
      }
    }
    return serverCounters(parseInfo(await this.#client.info()))
  }
}

/**
 * The {@link ServerCounters} of several servers (each node of a cluster, replicas too) as one server's:
 * their CPU summed, and their commands summed less the INFOs of our earlier readings on every node but
 * one, so that a window holds one INFO of ours, as on one server (which `serverWork` leaves out). A
 * replica counts the writes it replicates as commands of its own.
 */
export class SummedCounterReader {
  readonly #readers: ServerCounterReader[]
  /** Readings so far: each left one INFO on every node, counted by the next. */
  #readings = 0

  constructor(clients: readonly Pick<Redis, 'info'>[]) {
    if (clients.length === 0) throw new TypeError('SummedCounterReader needs at least one client')
    this.#readers = clients.map((client) => new ServerCounterReader(client))
  }

  async read(): Promise<ServerCounters> {
    const each = await Promise.all(this.#readers.map((reader) => reader.read()))
    const ours = (this.#readers.length - 1) * this.#readings++
    return {
      commands: each.reduce((sum, counters) => sum + counters.commands, 0) - ours,
      cpuSeconds: each.reduce((sum, counters) => sum + counters.cpuSeconds, 0),
    }
  }
}

function commandsOf(fields: Map<string, string>): number {
  const value = fields.get('total_commands_processed')
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
