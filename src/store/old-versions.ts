import { describe } from '../errors.js'
import { type KeySeparator, keyPrefixOf, namespaceOf, versionOption } from '../option-checks.js'
import type { TransportView } from '../redis/transport-view.js'
import { StringStore } from './string-store.js'

/**
 * The old versions of one versioned cache's namespace: `clear` removes every key under
 * `name:v<old>:` (`{name}:v<old>:` with hashTag, `name:v<old>/` with pubsubDict), strings and hash buckets alike, with SCAN (every
 * master of a Cluster) and UNLINK, one version after another. It never touches the cache's own
 * version, and only the versions it is given: which versions are old is the caller's to say, since
 * a key under `name:vX:` may as well belong to a cache named `name:vX` (see docs/patterns.md).
 */
export class OldVersions {
  readonly #batcher: TransportView
  readonly #name: string
  readonly #hashTag: boolean
  readonly #current: string | undefined
  readonly #separator: KeySeparator
  readonly #removing: ((namespace: string, keys: string[]) => void) | undefined

  /**
   * `separator`: `'/'` with pubsubDict; `removing` hears each batch of an old version's keys in the
   * tick its UNLINK is queued, with that version's namespace (`name:v<old>`).
   */
  constructor(
    batcher: TransportView,
    name: string,
    hashTag: boolean,
    current: string | undefined,
    separator: KeySeparator = ':',
    removing?: (namespace: string, keys: string[]) => void,
  ) {
    this.#batcher = batcher
    this.#name = name
    this.#hashTag = hashTag
    this.#current = current
    this.#separator = separator
    this.#removing = removing
  }

  /** Checks `versions` (a `TypeError` names the bad one) and returns them as they appear in keys. */
  check(versions: unknown): string[] {
    if (this.#current === undefined) {
      throw new TypeError(
        `clearVersions() needs a cache with a \`version\`: FlipCache \`${this.#name}\` has none, and its namespace \`${this.#name}:*\` holds every version's keys`,
      )
    }
    if (typeof versions !== 'object' || versions === null || !(Symbol.iterator in versions)) {
      throw new TypeError(`Expected clearVersions() to get an array of versions, got ${describe(versions)}`)
    }
    const checked = new Set<string>()
    for (const version of versions as Iterable<unknown>) {
      const text = versionOption('a version to clear', version)
      if (text === this.#current) {
        throw new TypeError(
          `Expected clearVersions() to get old versions only, got ${describe(version)}: FlipCache \`${this.#name}\` is version ${this.#current}`,
        )
      }
      checked.add(text)
    }
    return [...checked]
  }

  /** Removes every key of each of `versions` (checked by `check`); resolves to how many were removed. */
  async clear(versions: readonly string[]): Promise<number> {
    let removed = 0
    for (const version of versions) {
      const prefix = keyPrefixOf(this.#name, this.#hashTag, version, this.#separator)
      const removing = this.#removing
      const namespace = namespaceOf(this.#name, version)
      removed += await new StringStore(this.#batcher, prefix, 'buffer').removeAll(
        removing === undefined ? undefined : (keys) => removing(namespace, keys),
      )
    }
    return removed
  }
}
