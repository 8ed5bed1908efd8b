import type { TransportView } from '../redis/transport-view.js'

/**
 * The Redis keys matching `pattern`, one SCAN batch at a time (never KEYS): on a Redis Cluster,
 * every master in turn, since each holds only its own slots. SCAN may repeat a key; callers dedupe.
 * With `type`, only keys of that Redis type (SCAN's TYPE filter).
 */
export async function* scanKeys(
  batcher: TransportView,
  pattern: string,
  count: number,
  type?: string,
): AsyncGenerator<string[], void, undefined> {
  const masters = await batcher.masters()
  const targets = masters ?? [undefined]
  for (const node of targets) {
    let cursor = '0'
    do {
      const args = [cursor, 'MATCH', pattern, 'COUNT', count, ...(type === undefined ? [] : ['TYPE', type])]
      const [next, found] =
        node === undefined
          ? await batcher.command<[string, string[]]>('SCAN', args)
          : await batcher.onNode<[string, string[]]>(node, 'SCAN', args)
      cursor = next
      if (found.length > 0) yield found
    } while (cursor !== '0')
  }
}
