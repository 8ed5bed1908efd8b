import { softInvalidation } from '../call-options.js'
import type { CacheCore } from '../core/cache-core.js'
import type { NamespaceScan } from '../core/namespace-scan.js'
import type { InvalidateTagsOptions } from '../flipcache-types.js'
import { traceKeys, traceOperation, traces } from '../observe/operation-trace.js'
import type { OldVersions } from '../store/old-versions.js'
import { checkTags, maxTagsInvalidated } from '../tags/tag-stamps.js'
import type { FacadeCallsConfig } from './facade-calls.js'

/** What the facade lends its calls on the whole namespace. */
export interface NamespaceCallsConfig<K, V> extends FacadeCallsConfig {
  core: CacheCore<V>
  scan: NamespaceScan<K, V>
  oldVersions: OldVersions
}

/**
 * The facade's calls on many entries at once, by tag, version or namespace: invalidateTags, clear,
 * clearVersions, keys and entries. Checked here, traced when anyone listens, and waited for by
 * close() (E_CLOSED) like every other call.
 */
export class NamespaceCalls<K, V> {
  readonly #config: NamespaceCallsConfig<K, V>

  constructor(config: NamespaceCallsConfig<K, V>) {
    this.#config = config
  }

  invalidateTags(tags: Iterable<string>, options: InvalidateTagsOptions | undefined): Promise<void> {
    if (!traces.invalidateTags.hasSubscribers) return this.#invalidateTags(tags, options)
    const list = [...tags]
    return traceKeys('invalidateTags', this.#config.name, list.length, () =>
      this.#invalidateTags(list, options),
    )
  }

  clear(): Promise<void> {
    if (!traces.clear.hasSubscribers) return this.#clear()
    return traceOperation('clear', { cache: this.#config.name, operation: 'clear' }, () => this.#clear())
  }

  async clearVersions(versions: readonly (string | number)[]): Promise<number> {
    const { checkOpen, oldVersions, pending } = this.#config
    checkOpen()
    const checked = oldVersions.check(versions)
    return pending.guard(oldVersions.clear(checked))
  }

  keys(): AsyncGenerator<K, void, undefined> {
    return this.#openThen(() => this.#config.scan.keys())
  }

  entries(): AsyncGenerator<[K, V], void, undefined> {
    return this.#openThen(() => this.#config.scan.entries())
  }

  async #invalidateTags(tags: Iterable<string>, options: InvalidateTagsOptions | undefined): Promise<void> {
    const { checkOpen, core, pending } = this.#config
    checkOpen()
    const checked = checkTags(tags, 'invalidateTags', maxTagsInvalidated)
    const soft = softInvalidation(options)
    await this.#started()
    if (checked.length > 0) await pending.guard(core.invalidateTags(checked, soft))
  }

  async #clear(): Promise<void> {
    this.#config.checkOpen()
    await this.#started()
    await this.#config.core.clear()
  }

  /** Waits for the cache's start, if it is still on its way (E_CLOSED should it close meanwhile). */
  async #started(): Promise<void> {
    const starting = this.#config.starting()
    if (starting !== undefined) await this.#config.pending.guard(starting)
  }

  /** A generator that checks the cache is open when it is first pulled, then yields `inner`'s items (E_CLOSED once it closes). */
  async *#openThen<T>(inner: () => AsyncGenerator<T, void, undefined>): AsyncGenerator<T, void, undefined> {
    this.#config.checkOpen()
    yield* this.#config.pending.each(inner())
  }
}
