import type { Socket } from 'node:net'
import { Command, type Redis } from 'ioredis'
import type { Step } from './steps.js'

/** The parts of an ioredis connection a fence works on (not in its public types). */
interface QueueItem {
  command: Command
}
interface CommandDeque {
  toArray(): QueueItem[]
  clear(): void
  push(item: QueueItem): void
}
interface ConnectionInternals {
  stream?: Socket
  commandQueue?: CommandDeque
  prevCommandQueue?: CommandDeque | null
  offlineQueue?: CommandDeque
}

/** Commands flipcache gave up on (their callers were told they failed): never to be sent again. */
const abandoned = new WeakSet<Command>()
/** Connections being reset, until their 'close'. */
const fencing = new WeakSet<Redis>()

/**
 * What Redis sees for a step: the same command ioredis's `call` / `callBuffer` would make, kept so
 * that it can be fenced. `lowercase` (a single node): the name as ioredis's own methods spell it.
 */
export function commandOf(step: Step, keyPrefix: string | undefined, lowercase: boolean): Command {
  const name = lowercase ? (lowercaseNames[step.name] ?? step.name) : step.name
  if (keyPrefix === undefined) return new Command(name, step.args, replyOptions[step.reply])
  const { replyEncoding } = replyOptions[step.reply]
  return new Command(name, step.args, { errorStack: undefined, keyPrefix, replyEncoding })
}

/**
 * The commands of every read and write, as ioredis's own methods name them. ioredis lowercases a
 * command's name each time it looks it up in its tables (about five times per command, a new string
 * each time for an uppercase name); a lowercase name is looked up as it is. None of these has a
 * transformer of ioredis's (HGETALL, whose reply ioredis would turn into an object, is not here).
 * Only on a single node: a Cluster would send lowercase read-only commands to replicas under
 * `scaleReads`, and a replica may not have a write this instance just made.
 */
const lowercaseNames: Readonly<Record<string, string>> = {
  GET: 'get',
  MGET: 'mget',
  SET: 'set',
  PTTL: 'pttl',
  PUBLISH: 'publish',
  EVAL: 'eval',
  EVALSHA: 'evalsha',
  UNLINK: 'unlink',
  GETEX: 'getex',
  PEXPIRE: 'pexpire',
  HMGET: 'hmget',
}

/**
 * A Command's options for each reply mode, made once (ioredis reads them in its constructor and
 * keeps none), with the fields of the options ioredis's own methods pass, in their order: objects
 * of that one shape keep the constructor's property reads monomorphic. (Measured: with only
 * `replyEncoding`, a command through the transport cost 3.0 µs of JavaScript; with this shape
 * 1.7 µs; raw ioredis 0.8 µs.)
 */
const replyOptions = {
  string: { errorStack: undefined, keyPrefix: undefined, replyEncoding: 'utf8' },
  buffer: { errorStack: undefined, keyPrefix: undefined, replyEncoding: null },
} as const

/** Commands a write timed out in may still be applied later: only reads and notices are harmless when late. */
const harmlessLate = new Set([
  'get',
  'mget',
  'pttl',
  'hget',
  'hmget',
  'hgetall',
  'exists',
  'hexists',
  'scan',
  'hscan',
  'ping',
  'publish',
  'spublish',
])

/** Whether a step changes data (so that, reported as failed, it must never be applied later). */
export function writes(step: Step): boolean {
  return !harmlessLate.has(step.name.toLowerCase())
}

/**
 * Discards `connection` after a round trip on it timed out, so that commands reported as failed
 * can never reach Redis later and overwrite what was written after them (a `set()` that failed
 * with `E_TIMEOUT` must not land once a stall or a partition ends):
 * - the socket is reset (RST, not FIN): the kernel drops the bytes it has not sent, and Redis's
 *   kernel drops those Redis has not read yet;
 * - the abandoned commands are taken out of what ioredis sends again after it reconnects
 *   (`autoResendUnfulfilledCommands`) and of its offline queue (a command handed over just as the
 *   connection went down waits there), and rejected; other commands on the connection (the
 *   application's own) are resent as ioredis would.
 * ioredis then reconnects as it would after any drop. A TLS connection is closed without the RST
 * (Node cannot reset it): what its kernel still holds may be sent.
 */
export function fence(connection: Redis, commands: readonly Command[]): void {
  for (const command of commands) abandoned.add(command)
  const internals = connection as unknown as ConnectionInternals
  // A command handed over as the connection was going down waits in ioredis's offline queue, to
  // be sent once it is back: it goes now.
  drop(internals.offlineQueue)
  if (fencing.has(connection) || connection.status !== 'ready') return
  const stream = internals.stream
  if (stream === undefined) return
  fencing.add(connection)
  connection.once('close', () => {
    fencing.delete(connection)
    // ioredis keeps what was on its way in prevCommandQueue (to resend once ready) or, when it
    // does not reconnect, in commandQueue (to reject): either way, the abandoned ones go now.
    drop(internals.prevCommandQueue)
    drop(internals.commandQueue)
  })
  try {
    stream.resetAndDestroy()
  } catch {
    stream.destroy()
  }
}

function drop(queue: CommandDeque | null | undefined): void {
  if (queue === null || queue === undefined) return
  const items = queue.toArray()
  if (!items.some((item) => abandoned.has(item.command))) return
  queue.clear()
  for (const item of items) {
    if (!abandoned.has(item.command)) queue.push(item)
    else item.command.reject(new Error('flipcache discarded this command: it had timed out'))
  }
}
