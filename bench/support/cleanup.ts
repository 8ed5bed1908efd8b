import type { Redis } from 'ioredis'

const benchPrefix = /^bench-[0-9a-f]+$/

/** Removes every key under `prefix:` with SCAN + UNLINK (never KEYS, FLUSHALL or FLUSHDB); resolves to how many. */
export async function removeKeysUnder(client: Redis, prefix: string): Promise<number> {
  // The prefix goes into a SCAN pattern: only ever the bench's own random one, which holds no glob characters.
  if (!benchPrefix.test(prefix))
    throw new Error(`Refusing to remove keys under unexpected prefix '${prefix}'`)
  let removed = 0
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) removed += await client.unlink(...keys)
  } while (cursor !== '0')
  return removed
}
