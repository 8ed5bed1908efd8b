import { randomBytes } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import type { FlipCacheOptions, FlipCache as FlipCacheType } from '../../src/index.js'
import type { Section } from '../report/model.js'
import { FlipCache } from './flipcache.js'
import { redactUrl } from './format.js'
import { inProcessRedis } from './in-process-redis.js'
import type { CommandCounter, Timing } from './measure.js'
import { labelledInProcess } from './no-redis.js'
import { ServerCounterReader } from './redis-info.js'
import { printTable } from './table.js'

interface Closable {
  close(): Promise<void>
}

/** What every scenario gets: the server, the run's key prefix, timings, and clients and caches closed at the end. */
export class BenchContext {
  /** Every key the run writes starts with `${prefix}:`. */
  readonly prefix = `bench-${randomBytes(5).toString('hex')}`
  readonly url: string
  readonly quick: boolean
  /**
   * No Redis server: clients are in-memory ioredis-mock ones, no command is counted, and every
   * table and row the run reports is labelled {@link noRedisLabel}.
   */
  readonly inProcess: boolean
  /** The tinybench budget of a timed task. */
  readonly timing: Timing
  readonly #clients: Redis[] = []
  readonly #caches: Closable[] = []
  /** What the run found, section by section, for docs/benchmarks.md. */
  readonly sections: Section[] = []
  /**
   * The server is the private redis-server started for this run (not one of REDIS_URL, which others
   * may be using): only then is its CPU the bench's, and counted.
   */
  readonly ownServer: boolean
  #counters: Promise<ServerCounterReader> | undefined

  constructor(url: string, quick: boolean, inProcess = false, ownServer = false) {
    this.url = url
    this.quick = quick
    this.inProcess = inProcess
    this.ownServer = ownServer && !inProcess
    if (inProcess) this.commands = undefined
    // Many short rounds, rather than a few long ones: the tasks compared in one round run close
    // together in time, so a burst of noise on a shared machine hits both sides of a ratio.
    this.timing = quick
      ? { time: 40, warmupTime: 10, rounds: 3, iterations: 4 }
      : { time: 60, warmupTime: 20, rounds: 25 }
  }

  /**
   * Reads the server's command counter and CPU (one INFO) on a connection of its own, for `measure()`
   * to print commands per operation (each row's tier is checked, not assumed) and the server's CPU
   * per 1,000 operations (`NaN` unless {@link ownServer}).
   */
  readonly commands: CommandCounter | undefined = async () => {
    this.#counters ??= this.client().then((admin) => new ServerCounterReader(admin))
    const counters = await (await this.#counters).read()
    return this.ownServer ? counters : { ...counters, cpuSeconds: Number.NaN }
  }

  /** Prints a section's table on the terminal and keeps the section for the report. */
  report(section: Section): void {
    const labelled = this.inProcess ? labelledInProcess(section) : section
    printTable(labelled.title, labelled.columns, labelled.rows, labelled.notes)
    this.sections.push(labelled)
  }

  /** A Redis key of this run: `${prefix}:part:part`. */
  key(...parts: (string | number)[]): string {
    return [this.prefix, ...parts].join(':')
  }

  /** A connected ioredis client of its own (closed at the end of the run). */
  async client(options: RedisOptions = {}): Promise<Redis> {
    if (this.inProcess) {
      const mock = inProcessRedis()
      this.#clients.push(mock)
      return mock
    }
    const client = new Redis(this.url, { ...options, lazyConnect: true })
    this.#clients.push(client)
    // Failed commands reject on their own; the listener only keeps ioredis from printing each error.
    let lastError: Error | undefined
    client.on('error', (error: Error) => {
      lastError = error
    })
    try {
      await client.connect()
    } catch (error) {
      const reason = lastError?.message ?? (error as Error).message
      throw new Error(`Cannot connect to Redis at ${redactUrl(this.url)}: ${reason}`, { cause: error })
    }
    return client
  }

  /** A cache named `${prefix}:label`, or `name` (closed at the end of the run). */
  cache<K, V>(label: string, options: FlipCacheOptions<K, V>, name = this.key(label)): FlipCacheType<K, V> {
    const cache = new FlipCache<K, V>(name, options)
    this.#caches.push(cache)
    return cache
  }

  /** Closes `thing` (a peer cache, say) with the caches at the end of the run. */
  own<T extends Closable>(thing: T): T {
    this.#caches.push(thing)
    return thing
  }

  /** Closes every cache, then every client. */
  async close(): Promise<void> {
    const caches = this.#caches.splice(0)
    await Promise.allSettled(caches.map((cache) => cache.close()))
    const clients = this.#clients.splice(0)
    await Promise.allSettled(
      clients.map((client) => (client.status === 'ready' ? client.quit() : client.disconnect())),
    )
  }
}
