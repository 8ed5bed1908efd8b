import { DecodeError } from '../errors.js'
import { scanKeys } from '../store/scan-keys.js'
import type { StructureBase } from './structure-base.js'

/** How many keys one SCAN step asks for, and so how many one UNLINK removes at most. */
const scanCount = 500

/**
 * Every key of `base`'s namespace once (SCAN on every master, never KEYS), decoded to its type; a
 * Redis key that does not decode is skipped and reported (`E_DECODE`). Remembers the keys seen, to
 * drop SCAN's repeats: memory in the number of keys of the namespace, as FlipCache's keys().
 */
export async function* namespaceKeys<K>(base: StructureBase<K>): AsyncGenerator<K, void, undefined> {
  base.checkOpen()
  yield* base.each(scannedKeys(base))
}

async function* scannedKeys<K>(base: StructureBase<K>): AsyncGenerator<K, void, undefined> {
  const seen = new Set<string>()
  for await (const found of scanKeys(base.transport, base.pattern, scanCount)) {
    for (const redisKey of found) {
      if (seen.has(redisKey)) continue
      seen.add(redisKey)
      const key = decodedKey(base, redisKey)
      if (key !== undefined) yield key.value
    }
  }
}

function decodedKey<K>(base: StructureBase<K>, redisKey: string): { value: K } | undefined {
  try {
    return { value: base.keys.decode(redisKey.slice(base.prefix.length)) }
  } catch (error) {
    base.report(new DecodeError(redisKey, 'the key', { cause: error }), { operation: 'scan' })
    return undefined
  }
}

/**
 * Removes every key of `base`'s namespace: SCAN, then one UNLINK per batch (split by slot on a
 * Cluster); resolves to how many were removed. Keys written while it runs may be left.
 */
export async function clearNamespace<K>(base: StructureBase<K>): Promise<number> {
  let removed = 0
  for await (const found of scanKeys(base.transport, base.pattern, scanCount)) {
    removed += await base.transport.command<number>('UNLINK', found)
  }
  return removed
}
