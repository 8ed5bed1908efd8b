import type { QueuedEntry } from './queue.js'

/** One change a write-behind `flush` receives: a key's latest value, or its delete. */
export type WriteBehindChange<K, V> = { op: 'set'; key: K; value: V } | { op: 'delete'; key: K }

/** How the drainer reads an encoded key and a stored value back; each throws for data that does not decode. */
export interface ChangeDecoders<K, V> {
  key(encoded: string): K
  value(encoded: string, stored: Buffer): V
}

/** A batch made ready for `flush`: the changes, and the entries that did not decode (for the dead letters). */
export interface PreparedBatch<K, V> {
  changes: WriteBehindChange<K, V>[]
  /** Every id of the entries the changes stand for (to acknowledge once flush resolves). */
  ids: string[]
  /** The encoded key of each change. */
  keys: string[]
  undecodable: { ids: string[]; keys: string[]; error: unknown } | undefined
}

/**
 * The latest change per key of `entries` (in queue order), in the order of those latest entries:
 * the entries a change stands for are settled with it. A key whose latest entry does not decode
 * gives no change; all its entries of the batch go to the dead letters.
 */
export function prepareBatch<K, V>(
  entries: QueuedEntry[],
  decoders: ChangeDecoders<K, V>,
): PreparedBatch<K, V> {
  const byKey = new Map<string, { latest: QueuedEntry; ids: string[] }>()
  let undecodable: PreparedBatch<K, V>['undecodable']
  for (const entry of entries) {
    if (entry.key === undefined) {
      undecodable ??= { ids: [], keys: [], error: new TypeError('a queue entry without a key (`k`)') }
      undecodable.ids.push(entry.id)
      continue
    }
    const seen = byKey.get(entry.key)
    if (seen === undefined) {
      byKey.set(entry.key, { latest: entry, ids: [entry.id] })
      continue
    }
    // A later entry of the key: it goes to the end, where its latest change now stands.
    byKey.delete(entry.key)
    seen.ids.push(entry.id)
    byKey.set(entry.key, { latest: entry, ids: seen.ids })
  }
  const changes: WriteBehindChange<K, V>[] = []
  const ids: string[] = []
  const keys: string[] = []
  for (const [encoded, { latest, ids: keyIds }] of byKey) {
    try {
      const key = decoders.key(encoded)
      changes.push(
        latest.value === undefined
          ? { op: 'delete', key }
          : { op: 'set', key, value: decoders.value(encoded, latest.value) },
      )
      ids.push(...keyIds)
      keys.push(encoded)
    } catch (error) {
      undecodable ??= { ids: [], keys: [], error }
      undecodable.ids.push(...keyIds)
      undecodable.keys.push(encoded)
    }
  }
  return { changes, ids, keys, undecodable }
}
