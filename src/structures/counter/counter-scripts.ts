import { LuaScript } from '../../store/scripts.js'

/*
 * A counter is a small Redis hash at `name:key`. Live, it holds `v` (the value) and, once it was
 * restored, `b` (the base `restore` returned) and `e` (that restore's epoch). While it is missing
 * and being restored it holds no `v` but `d` (the increments made meanwhile), `e` (the epoch: the
 * token of the call that found it missing), `o` (the token of the caller restoring it) and `u`
 * (when that caller's lease ends, in Redis server ms). Every transition is one script, so an
 * increment either lands on the live value or in `d`, never in between. A caller waiting for a
 * restore keeps the epoch its increment was recorded in: a different one means a flush took its
 * increment, and it records it again.
 */

/** Redis server time in ms (replicated as effects, so TIME is allowed in a writing script). */
const now = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`

/**
 * One increment (`ARGV[1]` 'incr') or read ('get') of counter KEYS[1], for a FlipCounter without
 * `restore` (a missing counter starts from 0). Replies `{'value', v}`, or `{'bad', why}` when the
 * key holds no counter (another type, a field `v` that is no 64-bit integer, an overflow).
 *
 * KEYS[1] the counter; KEYS[2] the dirty set (only with `persist`). ARGV[1] 'incr' | 'get';
 * ARGV[2] by; ARGV[3] expiry ms ('0': none); ARGV[4] the dirty-set member (the encoded key).
 */
export const plainStep = new LuaScript(`
local counter = KEYS[1]
if ARGV[1] == 'get' then
  local value = redis.pcall('HGET', counter, 'v')
  if type(value) == 'table' then return {'bad', value.err} end
  return {'value', value or '0'}
end
local sum = redis.pcall('HINCRBY', counter, 'v', ARGV[2])
if type(sum) == 'table' then return {'bad', sum.err} end
if ARGV[3] ~= '0' then redis.call('PEXPIRE', counter, ARGV[3]) end
if KEYS[2] and ARGV[2] ~= '0' then redis.call('SADD', KEYS[2], ARGV[4]) end
return {'value', sum}
`)

/**
 * One increment (`ARGV[1]` 'incr') or read ('get') of counter KEYS[1], for a FlipCounter with
 * `restore`. Replies: `{'value', v}` (live), `{'restore', d, e}` (missing: the caller now holds
 * the restore lease and its own increment is in `d`, in epoch `e`), `{'wait', d, e}` (missing,
 * another caller restores it), `{'bad', why}` (the key holds no counter, or the sum overflows).
 *
 * KEYS[1] the counter; KEYS[2] the dirty set (only with `persist`). ARGV[1] 'incr' | 'get';
 * ARGV[2] by; ARGV[3] expiry ms ('0': none); ARGV[4] the dirty-set member (the encoded key);
 * ARGV[5] token; ARGV[6] lease ms.
 */
export const restoringStep = new LuaScript(`
local counter = KEYS[1]
local value = redis.pcall('HGET', counter, 'v')
if type(value) == 'table' then return {'bad', value.err} end
if value then
  if ARGV[1] == 'get' then return {'value', value} end
  local sum = redis.pcall('HINCRBY', counter, 'v', ARGV[2])
  if type(sum) == 'table' then return {'bad', sum.err} end
  if ARGV[3] ~= '0' then redis.call('PEXPIRE', counter, ARGV[3]) end
  if KEYS[2] and ARGV[2] ~= '0' then redis.call('SADD', KEYS[2], ARGV[4]) end
  return {'value', sum}
end
local delta = redis.pcall('HINCRBY', counter, 'd', ARGV[2])
if type(delta) == 'table' then return {'bad', delta.err} end
redis.call('HSETNX', counter, 'e', ARGV[5])
${now}
if (tonumber(redis.call('HGET', counter, 'u')) or 0) <= now then
  redis.call('HSET', counter, 'o', ARGV[5], 'u', now + tonumber(ARGV[6]))
  return {'restore', redis.call('HGET', counter, 'd'), redis.call('HGET', counter, 'e')}
end
return {'wait', redis.call('HGET', counter, 'd'), redis.call('HGET', counter, 'e')}
`)

/**
 * Ends a restore: only while ARGV[1] still holds the lease, the counter becomes live with the base
 * ARGV[2] plus every increment made meanwhile (`d`). Replies `{'value', v}`, `{'lost'}` when the
 * lease passed to another caller (or the counter vanished: a flush), `{'bad', d}` when the sum
 * overflows 64 bits (the counter stays as it was).
 *
 * KEYS[1] the counter; KEYS[2] the dirty set (only with `persist`). ARGV[1] token; ARGV[2] base;
 * ARGV[3] expiry ms ('0': none); ARGV[4] the dirty-set member.
 */
export const finishRestore = new LuaScript(`
local counter = KEYS[1]
if redis.call('HGET', counter, 'o') ~= ARGV[1] then return {'lost'} end
local delta = redis.call('HGET', counter, 'd') or '0'
redis.call('HSET', counter, 'v', ARGV[2], 'b', ARGV[2])
local sum = redis.pcall('HINCRBY', counter, 'v', delta)
if type(sum) == 'table' then
  redis.call('HDEL', counter, 'v', 'b')
  return {'bad', sum.err}
end
redis.call('HDEL', counter, 'd', 'o', 'u')
if ARGV[3] ~= '0' then redis.call('PEXPIRE', counter, ARGV[3]) end
if KEYS[2] and delta ~= '0' then redis.call('SADD', KEYS[2], ARGV[4]) end
return {'value', sum}
`)

/**
 * A waiting caller's look at a counter being restored: `{'done', b, v, e}` once it is live (`b`
 * and `e` false when it was not restored), `{'gone'}` when it vanished (a flush took the
 * increments with it), `{'restore', false, e}` when the lease ran out and ARGV[1] took it over,
 * else `{'wait', false, e}`.
 *
 * KEYS[1] the counter. ARGV[1] token; ARGV[2] lease ms.
 */
export const pollRestore = new LuaScript(`
local counter = KEYS[1]
local value = redis.pcall('HGET', counter, 'v')
if type(value) == 'table' then return {'bad', value.err} end
local epoch = redis.call('HGET', counter, 'e') or false
if value then return {'done', redis.call('HGET', counter, 'b') or false, value, epoch} end
if redis.call('EXISTS', counter) == 0 then return {'gone'} end
${now}
if (tonumber(redis.call('HGET', counter, 'u')) or 0) <= now then
  redis.call('HSET', counter, 'o', ARGV[1], 'u', now + tonumber(ARGV[2]))
  return {'restore', false, epoch}
end
return {'wait', false, epoch}
`)

/** Ends the lease of ARGV[1] on counter KEYS[1] at once (its restore failed), so another caller may try. */
export const releaseRestore = new LuaScript(
  `if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then redis.call('HSET', KEYS[1], 'u', '0') end return 0`,
)
