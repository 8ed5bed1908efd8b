import type { Arg, TransportView } from '../redis/transport-view.js'

/**
 * A Lua script, always sent whole (`EVAL`; Redis keeps the compiled script cached by its SHA1). Not
 * `EVALSHA` with an `EVAL` fallback on `NOSCRIPT`: the fallback would go out in a later round trip,
 * after commands sent meanwhile, and a write could then land after a later delete.
 */
export class LuaScript {
  readonly #source: string

  constructor(source: string) {
    // Indentation and line breaks cost bytes on every call, nothing else.
    this.#source = source
      .trim()
      .split('\n')
      .map((line) => line.trim())
      .join('\n')
  }

  /** Runs the script on `keys` (all in one slot) with `args`. */
  run<T>(transport: TransportView, keys: string[], args: Arg[]): Promise<T> {
    return transport.command<T>('EVAL', this.argsFor(keys, args))
  }

  /** The arguments of `EVAL` for `keys` and `args`, for a caller that reads the reply its own way. */
  argsFor(keys: string[], args: Arg[]): Arg[] {
    return [this.#source, keys.length, ...keys, ...args]
  }
}

/**
 * Writes fields of one bucket and sets the bucket's own TTL as `bucketExpire` says, as one step:
 * whether the bucket existed before the write decides, and only the server knows that. A new bucket
 * gets the TTL; under 'always' an expiring bucket is extended to it, never shortened, and a bucket
 * that persists (an entry without expiry was written to it) is left so: a TTL would take that entry
 * with it when it passed. Under 'always-bucket' (entry expiry per bucket, where no entry has an
 * expiry of its own to keep) a persisting bucket gets the TTL too, as dogpile's hstore backend does.
 * Replies with the bucket's PTTL after the write.
 *
 * KEYS[1] the bucket; ARGV[1] 'always', 'always-bucket' or 'on-create'; ARGV[2] the TTL in ms;
 * ARGV[3..] field, value pairs (HSET in slices: Lua's unpack has a limit).
 */
export const writeBucket = new LuaScript(`
local bucket = KEYS[1]
local existed = redis.call('EXISTS', bucket)
for first = 3, #ARGV, 1000 do
  redis.call('HSET', bucket, unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
local ttl = tonumber(ARGV[2])
if existed == 0 then
  redis.call('PEXPIRE', bucket, ttl)
elseif ARGV[1] ~= 'on-create' then
  local left = redis.call('PTTL', bucket)
  if (left >= 0 and left < ttl) or (left == -1 and ARGV[1] == 'always-bucket') then
    redis.call('PEXPIRE', bucket, ttl)
  end
end
return redis.call('PTTL', bucket)
`)

/**
 * Removes the field ARGV[1] of bucket KEYS[1] only while it holds ARGV[2], the value a read found
 * past its expiry: HGET, compare and HDEL run as one step, so a write landed since is never lost.
 */
export const removeIfUnchanged = new LuaScript(
  `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`,
)

/**
 * `writeBucket`'s 'on-create' for a server that expires hash fields: the fields are written with
 * their own TTL (`HSETEX ... PX`, no header), and a bucket the write creates gets the TTL too, as
 * 'on-create' says; an existing bucket's TTL is left as it is.
 *
 * KEYS[1] the bucket; ARGV[1] the TTL in ms; ARGV[2..] field, value pairs (HSETEX in slices).
 */
export const writeFieldsOnCreate = new LuaScript(`
local bucket = KEYS[1]
local existed = redis.call('EXISTS', bucket)
for first = 2, #ARGV, 1000 do
  local last = math.min(first + 999, #ARGV)
  redis.call('HSETEX', bucket, 'PX', ARGV[1], 'FIELDS', (last - first + 1) / 2, unpack(ARGV, first, last))
end
if existed == 0 then
  redis.call('PEXPIRE', bucket, ARGV[1])
end
return 0
`)

/**
 * Writes many strings with one expiry as one command: `SET KEYS[i] ARGV[i] PX ARGV[#ARGV]` for
 * each key (all in one slot). A pipeline of as many SETs costs the client a command, a promise and
 * a reply each: for 100 entries, this costs the client about a third of it and Redis about 1.5x the
 * CPU (docs/benchmarks.md, "Writes"). Replies with how many keys it wrote.
 */
export const setEach = new LuaScript(`
local ttl = ARGV[#ARGV]
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl)
end
return #KEYS
`)
