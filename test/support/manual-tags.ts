import type { TagCounts, TagStore } from '../../src/store/tag-keys.js'

/**
 * A fake of the tags in Redis: counts kept in memory. Reads answer at once, unless `hold` is on:
 * then each read waits in `held` until the test releases it, so that a test can let an
 * invalidation land between a read and its reply.
 */
export class ManualTags implements TagStore {
  readonly counts = new Map<string, TagCounts>()
  readonly held: { tags: readonly string[]; release: () => void }[] = []
  reads = 0
  hold = false

  read(tags: readonly string[]): Promise<TagCounts[]> {
    this.reads++
    const answer = (): TagCounts[] =>
      tags.map((tag) => ({ ...(this.counts.get(tag) ?? { hard: 0, soft: 0 }) }))
    if (!this.hold) return Promise.resolve(answer())
    // The counts as they are now: what Redis would answer to a read it ran now.
    const now = answer()
    return new Promise((resolve) => this.held.push({ tags, release: () => resolve(now) }))
  }

  raise(tags: readonly string[], field: 'h' | 's'): Promise<TagCounts[]> {
    return Promise.resolve(
      tags.map((tag) => {
        const counts = { ...(this.counts.get(tag) ?? { hard: 0, soft: 0 }) }
        if (field === 'h') counts.hard++
        else counts.soft++
        this.counts.set(tag, counts)
        return { ...counts }
      }),
    )
  }
}
