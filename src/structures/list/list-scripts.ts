import { LuaScript } from '../../store/scripts.js'

/**
 * Pushes values onto the head of a list, trims it to its newest `maxLength` and sets its expiry, as
 * one step: no reader ever sees the list longer than `maxLength`, nor a list that lost its expiry.
 * Resolves to the list's length after the push.
 *
 * KEYS[1] the list; ARGV[1] maxLength; ARGV[2] the TTL in ms (0: none); ARGV[3..] the values, oldest
 * first (LPUSH in slices: Lua's unpack has a limit).
 */
export const pushAndTrim = new LuaScript(`
local list = KEYS[1]
local length = 0
for first = 3, #ARGV, 1000 do
  length = redis.call('LPUSH', list, unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
local keep = tonumber(ARGV[1])
if length > keep then
  redis.call('LTRIM', list, 0, keep - 1)
  length = keep
end
if ARGV[2] ~= '0' then redis.call('PEXPIRE', list, ARGV[2]) end
return length
`)
