import { LuaScript } from '../../store/scripts.js'

/**
 * Adds `by` to a member's score, drops the lowest scores past `maxSize` and sets the ranking's
 * expiry, as one step: no reader sees the ranking longer than `maxSize`, nor without its expiry.
 * Resolves to the member's new score, as Redis writes it (`'1.5'`, `'inf'`).
 *
 * KEYS[1] the sorted set; ARGV[1] the member; ARGV[2] by; ARGV[3] maxSize (0: none); ARGV[4] the
 * TTL in ms (0: none).
 */
export const incrementAndTrim = new LuaScript(`
local ranking = KEYS[1]
local score = redis.call('ZINCRBY', ranking, ARGV[2], ARGV[1])
local size = tonumber(ARGV[3])
if size > 0 and redis.call('ZCARD', ranking) > size then
  redis.call('ZREMRANGEBYRANK', ranking, 0, -size - 1)
end
if ARGV[4] ~= '0' then redis.call('PEXPIRE', ranking, ARGV[4]) end
return score
`)
