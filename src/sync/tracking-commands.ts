import type { RedisClient } from '../redis/connection.js'

/** Redis refused client tracking (a server before 6.0, or one that forbids it). */
export class TrackingRefusedError extends Error {}

/** `CLIENT TRACKING ON` for `prefixes`, invalidations sent to `subscriberId`; with `noLoop`, not for the connection's own writes. */
export function trackingOn(subscriberId: string, prefixes: string[], noLoop: boolean): string[] {
  return [
    'TRACKING',
    'ON',
    'REDIRECT',
    subscriberId,
    'BCAST',
    ...prefixes.flatMap((prefix) => ['PREFIX', prefix]),
    ...(noLoop ? ['NOLOOP'] : []),
  ]
}

/** Runs `CLIENT <args>` on `connection`; an error reply becomes a TrackingRefusedError. */
export async function clientTracking(connection: RedisClient, args: string[]): Promise<void> {
  try {
    await connection.call('CLIENT', args)
  } catch (error) {
    throw refusal(error)
  }
}

/**
 * `CLIENT TRACKING OFF` then `ON` with `args`, in one MULTI: no other client's command runs in
 * between (Redis cannot take a prefix off a tracking connection, nor change where its invalidations
 * go, but this way). Rejects unless both were applied.
 */
export async function retrack(connection: RedisClient, args: string[]): Promise<void> {
  const replies = await connection
    .multi()
    .call('CLIENT', 'TRACKING', 'OFF')
    .call('CLIENT', ...args)
    .exec()
    .catch((error: unknown) => {
      throw refusal(error)
    })
  const failed = replies?.find(([error]) => error !== null)?.[0]
  if (replies === null || replies === undefined) throw new Error('CLIENT TRACKING: the MULTI was discarded')
  if (failed !== undefined && failed !== null) throw refusal(failed)
}

/** What Redis says `connection` tracks (`CLIENT TRACKINGINFO`). */
export async function trackingInfoOf(
  connection: RedisClient,
): Promise<{ flags: string[]; prefixes: string[] }> {
  const reply = (await connection.call('CLIENT', 'TRACKINGINFO')) as unknown[]
  const fields = new Map<string, unknown>()
  for (let index = 0; index + 1 < reply.length; index += 2) fields.set(String(reply[index]), reply[index + 1])
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [])
  return { flags: strings(fields.get('flags')), prefixes: strings(fields.get('prefixes')) }
}

/** An error reply (no permission for CLIENT, say) is Redis refusing; anything else (a timeout, a drop) is not. */
function refusal(error: unknown): unknown {
  if (!(error instanceof Error) || !/ReplyError|EXECABORT/.test(`${error.name} ${error.message}`))
    return error
  return new TrackingRefusedError(`Redis refused CLIENT TRACKING: ${error.message}`, { cause: error })
}

/** The fewest prefixes that cover `prefixes`: none of them starts with another (Redis refuses overlaps). */
export function coverOf(prefixes: Iterable<string>): string[] {
  const cover: string[] = []
  // In sorted order a prefix comes right before the strings it covers, so only the last kept one can cover the next.
  for (const prefix of [...prefixes].sort()) {
    const last = cover.at(-1)
    if (last === undefined || !prefix.startsWith(last)) cover.push(prefix)
  }
  return cover
}
