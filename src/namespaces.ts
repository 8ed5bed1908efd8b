import type { RedisClient } from './redis/connection.js'
import { perClient } from './redis/per-client.js'

/** One open namespace: what its keys start with, and the class and name that own it. */
interface Namespace {
  prefix: string
  kind: string
  name: string
}

/**
 * The namespaces open on one client, to warn when two of them overlap: a namespace whose prefix
 * starts with another's (cache `a` and cache `a:b`, an unversioned cache and a versioned one of the
 * same name), or the same prefix owned by two kinds (a FlipCache and a FlipCounter named alike).
 * The outer one's `keys()` lists the inner one's keys and its `clear()` deletes them, and Redis
 * cannot tell them apart. Instances of one class with the same name share their namespace on
 * purpose, and are not warned of. Only what this process opens is seen: a warning, not a guarantee.
 */
class Namespaces {
  readonly #open = new Set<Namespace>()
  readonly #warned = new Set<string>()

  /** Registers `namespace` until the returned function is called (in `close()`). */
  enter(namespace: Namespace): () => void {
    for (const other of this.#open) {
      const overlap =
        other.prefix === namespace.prefix
          ? other.kind !== namespace.kind
          : other.prefix.startsWith(namespace.prefix) || namespace.prefix.startsWith(other.prefix)
      if (overlap) this.#warn(namespace, other)
    }
    this.#open.add(namespace)
    return () => {
      this.#open.delete(namespace)
    }
  }

  #warn(namespace: Namespace, other: Namespace): void {
    const [outer, inner] =
      namespace.prefix.length <= other.prefix.length ? [namespace, other] : [other, namespace]
    const pair = `${outer.prefix}\u0000${inner.prefix}`
    if (this.#warned.has(pair)) return
    this.#warned.add(pair)
    process.emitWarning(
      `${inner.kind} \`${inner.name}\` (keys \`${inner.prefix}*\`) lies inside the namespace of ${outer.kind} \`${outer.name}\` (keys \`${outer.prefix}*\`) on the same Redis client: ${outer.kind} \`${outer.name}\`'s keys() lists its keys and its clear() deletes them. Give each its own name`,
      { type: 'FlipCacheWarning', code: 'E_NESTED_NAME' },
    )
  }
}

/** The namespaces of `client`, shared by every flipcache class on it. */
export const namespacesOf = perClient((_client: RedisClient) => new Namespaces())
