import { type BreakerChange, type BreakerSettings, CircuitBreaker } from './circuit-breaker.js'

/** A breaker change as the caches hear it: on a Cluster, with the master it concerns. */
export type NodeBreakerChange = BreakerChange & { node?: string }

/**
 * The circuit breakers of one client: one for a single node, or one per Cluster master (`host:port`),
 * shared by every cache on the client, since they all talk to the same servers. They are made with
 * the settings of the first cache that joins (`undefined`: off); a later cache whose settings differ
 * is warned once. Every cache that joined hears every change.
 */
export class Breakers {
  #joined = false
  #settings: BreakerSettings | undefined
  #single: CircuitBreaker | undefined
  readonly #nodes = new Map<string, CircuitBreaker>()
  readonly #listeners = new Set<(change: NodeBreakerChange) => void>()

  /**
   * Cache `cacheName` uses the client, with breaker `settings`; `listener` hears every change until
   * the returned function is called (in `close()`).
   */
  join(
    cacheName: string,
    settings: BreakerSettings | undefined,
    listener: (change: NodeBreakerChange) => void,
  ): () => void {
    if (!this.#joined) {
      this.#joined = true
      this.#settings = settings
    } else if (!sameSettings(settings, this.#settings)) {
      process.emitWarning(
        `FlipCache \`${cacheName}\`: its circuitBreaker setting (${describeSettings(settings)}) differs from that of the first cache on this Redis client (${describeSettings(this.#settings)}); the first applies, since the caches of one client share its breakers`,
        { type: 'FlipCacheWarning', code: 'E_BREAKER_SETTINGS' },
      )
    }
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** How many caches hear the changes now (for diagnostics and tests). */
  get listening(): number {
    return this.#listeners.size
  }

  /** The breaker of the client (no `node`) or of one Cluster master, made on first use; `undefined` when off. */
  of(node?: string): CircuitBreaker | undefined {
    const settings = this.#settings
    if (settings === undefined) return undefined
    if (node === undefined) {
      this.#single ??= new CircuitBreaker(settings, (change) => this.#report(change))
      return this.#single
    }
    let breaker = this.#nodes.get(node)
    if (breaker === undefined) {
      breaker = new CircuitBreaker(settings, (change) => this.#report({ ...change, node }))
      this.#nodes.set(node, breaker)
    }
    return breaker
  }

  #report(change: NodeBreakerChange): void {
    for (const listener of this.#listeners) listener(change)
  }
}

function sameSettings(a: BreakerSettings | undefined, b: BreakerSettings | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.failures === b.failures && a.cooldownMs === b.cooldownMs
}

function describeSettings(settings: BreakerSettings | undefined): string {
  if (settings === undefined) return 'false'
  return `{ failures: ${settings.failures}, cooldown: ${settings.cooldownMs} ms }`
}
