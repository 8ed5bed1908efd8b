import { DecodeError } from '../errors.js'
import type { Arg, ReplyMode } from '../redis/transport-view.js'
import type { StructureBase } from './structure-base.js'

/** One read command of a structure's key, and what a key of the wrong type reads as. */
export interface TypedRead<T> {
  redisKey: string
  command: string
  args: Arg[]
  /** What the read resolves to when the key holds another Redis type than the structure's. */
  missing: T
  reply?: ReplyMode
}

/**
 * Runs `read` on `base`'s transport. A key that holds another Redis type (written by something
 * else: Redis answers `WRONGTYPE`) reads as `read.missing`, reported as `E_DECODE`; `what` names the
 * type expected (`'a list'`).
 */
export async function readOfType<K, T>(base: StructureBase<K>, what: string, read: TypedRead<T>): Promise<T> {
  try {
    return await base.transport.command<T>(read.command, [read.redisKey, ...read.args], read.reply)
  } catch (error) {
    if (!isWrongType(error)) throw error
    base.report(new DecodeError(read.redisKey, `${what} (the key holds another type)`, { cause: error }), {
      operation: 'read',
    })
    return read.missing
  }
}

/** Whether `error` is Redis refusing a command on a key of another type (`WRONGTYPE`), or caused by it. */
export function isWrongType(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause.message.startsWith('WRONGTYPE')) return true
  }
  return false
}
