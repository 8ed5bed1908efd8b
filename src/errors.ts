/** Every `code` a {@link FlipCacheError} can carry. */
export const ErrorCode = {
  /** The cache was closed; no call is accepted after `close()`. */
  closed: 'E_CLOSED',
  /** Redis could not be reached, or answered with an error. */
  redis: 'E_REDIS',
  /** Redis did not answer within the `timeout` option. */
  timeout: 'E_TIMEOUT',
  /** A value (or key) read from Redis could not be decoded with the configured type. */
  decode: 'E_DECODE',
  /** A custom value encoder threw. */
  encode: 'E_ENCODE',
  /** A value to write encodes to more bytes than the `maxValueBytes` option allows; nothing was written. */
  tooLarge: 'E_TOO_LARGE',
  /** A getOrSet loader threw (or returned a value the cache cannot store); `cause` holds why. */
  loader: 'E_LOADER',
  /** A getOrSet loader ran past `hardTimeout`. */
  loaderTimeout: 'E_LOADER_TIMEOUT',
  /**
   * A getOrSetMany loader returned something other than one value per key asked for (a Map with a
   * key missing or one not asked for, an array of another length, or neither a Map nor an array).
   */
  loaderResult: 'E_LOADER_RESULT',
  /** A getOrSet lock expired or was deleted (FLUSHALL, eviction) before its holder released it. */
  lockLost: 'E_LOCK_LOST',
  /**
   * The cache could not confirm within `maxStaleness` that it hears its sync channel (or its
   * subscriber connection dropped): L1 is off until it hears again.
   */
  syncUnheard: 'E_SYNC_UNHEARD',
  /** An invalidation notice (the sync channel's PUBLISH) failed; it is retried until `maxStaleness` has passed. */
  syncNotice: 'E_SYNC_NOTICE',
  /** Redis refused the sync subscription (an ACL without the channel, a server without SSUBSCRIBE): L1 stays off. */
  syncRefused: 'E_SYNC_REFUSED',
  /** A write-behind write was refused: the queue (with the dead letters) holds `maxQueued` entries; nothing was written. */
  queueFull: 'E_QUEUE_FULL',
  /** Write-behind entries whose `flush` failed `maxAttempts` times were moved to the dead-letter stream. */
  deadLetter: 'E_DEAD_LETTER',
  /** A FlipCounter's `restore` function threw, returned something other than a safe integer, or ran past `restoreTimeout`. */
  restore: 'E_RESTORE',
  /** A FlipCounter's `persist` function rejected a hand-over; the counters are handed over again later. */
  persist: 'E_PERSIST',
  /** A write or delete made through the dict view (`asDict()`) failed in the background; `cause` holds why. */
  dictWrite: 'E_DICT_WRITE',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/**
 * Where a failure happened, as reports carry it (docs/error-reports.md): what flipcache was doing,
 * on which key (or how many keys), on which server.
 */
export interface ErrorContext {
  /** What flipcache was doing: `'get'`, `'getOrSet'`, `'refresh'`, `'touch'`, `'sync'`, `'lockRelease'`, ... */
  readonly operation?: string
  /** The Redis key concerned (`name:encoded key`), when the failure concerns one key. */
  readonly key?: string
  /** How many keys the failed operation concerned, when it concerned more than one. */
  readonly keyCount?: number
  /** The Redis server as `host:port` (on a Cluster, the node the command went to, when known). */
  readonly server?: string
}

/** What {@link FlipCacheError} takes beyond `cause`: the server a Redis error came from, say. */
export interface FlipCacheErrorOptions extends ErrorOptions {
  readonly server?: string
}

/** The base class of every error flipcache raises or reports, other than `TypeError`s for bad input. */
export class FlipCacheError extends Error {
  readonly code: ErrorCode
  /** What flipcache was doing when it failed (set on reported errors; see {@link ErrorContext}). */
  declare readonly operation?: string
  /** The Redis key concerned (set on reported errors about one key, and by the classes that name one). */
  declare readonly key?: string
  /** How many keys the failed operation concerned (reported errors about several keys). */
  declare readonly keyCount?: number
  /** The Redis server, `host:port` (on E_REDIS and E_TIMEOUT when known, and on every reported Redis failure). */
  declare readonly server?: string
  /** On a report: how many more failures like it the report stands for (coalesced within 1 s). */
  declare readonly repeats?: number

  constructor(code: ErrorCode, message: string, options?: FlipCacheErrorOptions) {
    super(message, options)
    this.code = code
    this.name = new.target.name
    if (options?.server !== undefined)
      Object.defineProperty(this, 'server', { value: options.server, enumerable: true, configurable: true })
  }
}

/**
 * A copy of `error` (same class, code, own fields, `cause` and stack) that carries `context` and
 * `repeats` in its fields and message: `E_REDIS get \`user:1\` on 127.0.0.1:6390: <message>`. The
 * original is left alone, so an error that one round trip shared between callers keeps no
 * caller's key. Fields the error already has (a `DecodeError`'s `key`) are kept.
 */
export function withContext<E extends FlipCacheError>(error: E, context: ErrorContext, repeats = 0): E {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as E
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error))
  const fields: Record<string, string | number | undefined> = {
    operation: error.operation ?? context.operation,
    key: error.key ?? context.key,
    keyCount: error.keyCount ?? (error.key === undefined ? context.keyCount : undefined),
    server: error.server ?? context.server,
    repeats: repeats > 0 ? repeats : undefined,
  }
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && Object.getOwnPropertyDescriptor(copy, name)?.configurable !== false)
      Object.defineProperty(copy, name, { value, enumerable: true, configurable: true })
  }
  const where = [
    fields.operation,
    fields.key !== undefined
      ? `\`${fields.key}\``
      : fields.keyCount !== undefined
        ? `(${fields.keyCount} ${fields.keyCount === 1 ? 'key' : 'keys'})`
        : undefined,
    fields.server !== undefined && !error.message.includes(String(fields.server))
      ? `on ${fields.server}`
      : undefined,
  ].filter((part) => part !== undefined)
  const more = repeats > 0 ? ` (and ${repeats} more like it in the last 1 s)` : ''
  const message = `${[error.code, ...where].join(' ')}: ${error.message}${more}`
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true })
  const frames = typeof error.stack === 'string' ? error.stack.split('\n').slice(1).join('\n') : ''
  Object.defineProperty(copy, 'stack', {
    value: frames === '' ? `${error.name}: ${message}` : `${error.name}: ${message}\n${frames}`,
    writable: true,
    configurable: true,
  })
  return copy
}

/** A call was made after `close()` (of a FlipCache, or of another flipcache class named by `kind`). */
export class CacheClosedError extends FlipCacheError {
  constructor(cacheName: string, kind = 'FlipCache') {
    super(ErrorCode.closed, `${kind} \`${cacheName}\` is closed`)
  }
}

/** Redis was unreachable, closed, or replied with an error. `cause` holds the underlying error. */
export class RedisUnavailableError extends FlipCacheError {
  constructor(message: string, options?: FlipCacheErrorOptions) {
    super(ErrorCode.redis, message, options)
  }
}

/** Redis did not answer within `timeoutMs`. The command may still be applied when Redis catches up. */
export class RedisTimeoutError extends FlipCacheError {
  readonly timeoutMs: number

  constructor(timeoutMs: number, commands: string, server?: string) {
    const on = server === undefined || commands.includes(server) ? '' : ` on ${server}`
    super(ErrorCode.timeout, `Redis did not answer ${commands}${on} within ${timeoutMs} ms`, { server })
    this.timeoutMs = timeoutMs
  }
}

/** A stored value (or a scanned key) did not decode with the configured type; `cause` says why. */
export class DecodeError extends FlipCacheError {
  /** The Redis key that held the undecodable data. */
  override readonly key: string

  constructor(key: string, what: string, options?: ErrorOptions) {
    super(ErrorCode.decode, `Could not decode ${what} at Redis key \`${key}\``, options)
    this.key = key
  }
}

/** A custom `valueEncoder` threw; `cause` holds what it threw. */
export class EncodeError extends FlipCacheError {
  override readonly key: string

  constructor(key: string, options?: ErrorOptions) {
    super(ErrorCode.encode, `The value encoder failed for Redis key \`${key}\``, options)
    this.key = key
  }
}

/** A value encodes to more than `maxValueBytes` bytes: it is refused before anything is written. */
export class ValueTooLargeError extends FlipCacheError {
  /** The Redis key the value was meant for. */
  override readonly key: string
  /** The length of the value's encoding, in bytes (before compression). */
  readonly bytes: number
  /** The `maxValueBytes` option of the cache. */
  readonly maxBytes: number

  constructor(key: string, bytes: number, maxBytes: number) {
    super(
      ErrorCode.tooLarge,
      `The value for Redis key \`${key}\` encodes to ${bytes} bytes, more than \`maxValueBytes\` (${maxBytes})`,
    )
    this.key = key
    this.bytes = bytes
    this.maxBytes = maxBytes
  }
}

/** A getOrSet loader failed; `cause` holds what it threw. */
export class LoaderError extends FlipCacheError {
  override readonly key: string

  constructor(key: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(ErrorCode.loader, `The loader for Redis key \`${key}\` failed${reason}`, options)
    this.key = key
  }
}

/** A getOrSet loader ran past `hardTimeout`; its AbortSignal fired with this error. */
export class LoaderTimeoutError extends FlipCacheError {
  override readonly key: string
  readonly timeoutMs: number

  constructor(key: string, timeoutMs: number) {
    super(
      ErrorCode.loaderTimeout,
      `The loader for Redis key \`${key}\` ran past its hardTimeout of ${timeoutMs} ms`,
    )
    this.key = key
    this.timeoutMs = timeoutMs
  }
}

/**
 * A getOrSetMany loader did not return one value per key asked for: `missing` holds keys it gave no
 * value for, `extra` the ones it gave but was not asked for (both as stored in Redis, at most ten
 * each), `message` the counts. No value of that loader call is stored.
 */
export class LoaderResultError extends FlipCacheError {
  readonly missing: string[]
  readonly extra: string[]

  constructor(problem: string, missing: string[] = [], extra: string[] = []) {
    const listed = (label: string, keys: string[]): string =>
      keys.length === 0
        ? ''
        : `; ${label}: ${keys
            .slice(0, 10)
            .map((key) => `\`${key}\``)
            .join(', ')}`
    super(
      ErrorCode.loaderResult,
      `The getOrSetMany loader ${problem}${listed('missing', missing)}${listed('not asked for', extra)}`,
    )
    this.missing = missing.slice(0, 10)
    this.extra = extra.slice(0, 10)
  }
}

/** A getOrSet lock vanished before its holder released it; the loaded value was still returned and stored. */
export class LockLostError extends FlipCacheError {
  /** The lock's Redis key. */
  override readonly key: string

  constructor(key: string, when: 'extend' | 'release') {
    const moment = when === 'extend' ? 'while its loader ran' : 'before its holder released it'
    super(ErrorCode.lockLost, `The lock \`${key}\` expired or was deleted ${moment}`)
    this.key = key
  }
}

/**
 * Something went wrong with the sync channel that keeps L1 coherent: the instance stopped hearing
 * it (`E_SYNC_UNHEARD`), a notice could not be published (`E_SYNC_NOTICE`), or Redis refused the
 * subscription (`E_SYNC_REFUSED`). `cause` holds the underlying error when there is one.
 */
export class SyncError extends FlipCacheError {
  /** The sync channel. */
  readonly channel: string

  constructor(
    code: typeof ErrorCode.syncUnheard | typeof ErrorCode.syncNotice | typeof ErrorCode.syncRefused,
    channel: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options)
    this.channel = channel
  }
}

/**
 * A write-behind `set`, `setMany` or `delete` was refused because the durable queue (with its
 * dead-letter stream) holds `maxQueued` entries: neither the value nor the queue entry was written.
 */
export class WriteQueueFullError extends FlipCacheError {
  /** The queue's Redis key. */
  readonly queue: string
  readonly maxQueued: number

  constructor(queue: string, maxQueued: number) {
    super(
      ErrorCode.queueFull,
      `The write-behind queue \`${queue}\` holds \`maxQueued\` (${maxQueued}) entries with its dead letters: the write was refused, nothing was written`,
    )
    this.queue = queue
    this.maxQueued = maxQueued
  }
}

/**
 * Write-behind entries were moved to the dead-letter stream: their `flush` failed `maxAttempts`
 * times (`cause` holds its last error), or they do not decode (`cause` is the `DecodeError`).
 */
export class DeadLetterError extends FlipCacheError {
  /** The dead-letter stream's Redis key. */
  readonly deadLetters: string
  /** The encoded keys of the entries moved. */
  readonly keys: string[]
  readonly attempts: number

  constructor(deadLetters: string, keys: string[], attempts: number, options?: ErrorOptions) {
    const shown = keys.length > 5 ? `${keys.slice(0, 5).join(', ')}, ...` : keys.join(', ')
    super(
      ErrorCode.deadLetter,
      `${keys.length} write-behind entries (keys ${shown}) moved to \`${deadLetters}\` after ${attempts} attempts`,
      options,
    )
    this.deadLetters = deadLetters
    this.keys = keys
    this.attempts = attempts
  }
}

/** A FlipCounter could not restore a missing counter; `cause` holds what `restore` threw, if it threw. */
export class RestoreError extends FlipCacheError {
  /** The Redis key of the counter. */
  override readonly key: string

  constructor(key: string, reason: string, options?: ErrorOptions) {
    super(ErrorCode.restore, `Could not restore the counter at Redis key \`${key}\`: ${reason}`, options)
    this.key = key
  }
}

/** A FlipCounter's `persist` function rejected a hand-over of `count` counters; `cause` holds what it threw. */
export class PersistError extends FlipCacheError {
  /** How many counters the rejected hand-over held (they are handed over again). */
  readonly count: number

  constructor(counterName: string, count: number, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(
      ErrorCode.persist,
      `FlipCounter \`${counterName}\` could not persist ${count} counters${reason}`,
      options,
    )
    this.count = count
  }
}

/**
 * A write (`view[key] = value`) or delete (`delete view[key]`) made through a cache's dict view
 * failed in the background; `cause` holds why (an `E_REDIS` or `E_TIMEOUT`, a write-through
 * source's error). Reported on the cache's 'error' event, and by the next `dictSettled()`.
 */
export class DictWriteError extends FlipCacheError {
  /** The key as the view's property named it (its encoding: `'15'` for the int key 15). */
  override readonly key: string
  override readonly operation: 'set' | 'delete'

  constructor(cacheName: string, key: string, operation: 'set' | 'delete', options?: ErrorOptions) {
    const what = operation === 'set' ? 'write' : 'delete'
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(
      ErrorCode.dictWrite,
      `The dict view's ${what} of key \`${key}\` in FlipCache \`${cacheName}\` failed${reason}`,
      options,
    )
    this.key = key
    this.operation = operation
  }
}

/** Describes a bad value for an error message: the value itself, quoted, and its type. */
export function describe(value: unknown): string {
  let shown: string
  try {
    shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'string' ? `'${value}'` : String(value)
  } catch {
    shown = Object.prototype.toString.call(value)
  }
  if (shown.length > 60) shown = `${shown.slice(0, 57)}...`
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return `\`${shown}\` (${type})`
}
