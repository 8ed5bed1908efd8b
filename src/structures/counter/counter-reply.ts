import { DecodeError } from '../../errors.js'

/** What a counter script replied, typed: see counter-scripts.ts for when each comes. */
export type CounterReply =
  | { kind: 'value'; value: number }
  | { kind: 'restore'; delta: number | undefined; epoch: string | undefined }
  | { kind: 'wait'; delta: number | undefined; epoch: string | undefined }
  | { kind: 'done'; base: number | undefined; value: number; epoch: string | undefined }
  | { kind: 'gone' }
  | { kind: 'lost' }

/** A counter's stored integer, or a `DecodeError` for anything else (beyond ±2^53 included). */
export function integerAt(redisKey: string, stored: unknown): number {
  // A script's own arithmetic replies with an integer; what it read back replies with a string.
  if (typeof stored === 'number' && Number.isSafeInteger(stored)) return stored
  if (typeof stored === 'string' && /^-?\d{1,16}$/.test(stored)) {
    const value = Number(stored)
    if (Number.isSafeInteger(value)) return value
  }
  throw new DecodeError(redisKey, `a counter (a safe integer) from ${JSON.stringify(String(stored))}`)
}

/** Types the reply of a counter script on `redisKey`; a `DecodeError` when the key holds no counter. */
export function counterReply(redisKey: string, reply: unknown): CounterReply {
  const [kind, first, second, third] = Array.isArray(reply) ? (reply as unknown[]) : [undefined]
  switch (kind) {
    case 'value':
      return { kind, value: integerAt(redisKey, first) }
    case 'restore':
    case 'wait':
      // The first reply of a call says how far the increments had got with its own; a poll does not.
      return {
        kind,
        delta: first === null || first === undefined ? undefined : integerAt(redisKey, first),
        epoch: typeof second === 'string' ? second : undefined,
      }
    case 'done':
      return {
        kind,
        base: first === null || first === undefined ? undefined : integerAt(redisKey, first),
        value: integerAt(redisKey, second),
        epoch: typeof third === 'string' ? third : undefined,
      }
    case 'gone':
    case 'lost':
      return { kind }
    case 'bad':
      throw new DecodeError(redisKey, `a counter from ${JSON.stringify(String(first))}`)
    default:
      throw new DecodeError(redisKey, `a counter script reply ${JSON.stringify(reply)}`)
  }
}

/** `base + delta` when it stays a safe integer, else a `DecodeError` (the counter left the safe range). */
export function sumAt(redisKey: string, base: number, delta: number): number {
  const sum = base + delta
  if (!Number.isSafeInteger(sum))
    throw new DecodeError(redisKey, `a counter of ${base} + ${delta} (beyond 2^53)`)
  return sum
}
