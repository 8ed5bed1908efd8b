import { LuaScript } from '../../store/scripts.js'
import { scriptArguments } from './script-arguments.js'

/**
 * The fixed window: the key is a string counter (`INCRBY`), created by the first hit of a window with
 * a PEXPIRE of `window`, so the window starts at that hit and ends when the key expires. Its PTTL is
 * both `resetIn` and, for a denied hit, `retryIn`. A key of another type, a value that is not a
 * count, or a key without expiry or expiring later than a window from now is damaged: it is deleted
 * (the reply says so) and the hit counts from zero.
 */
export const fixedWindowScript = new LuaScript(`
${scriptArguments}
local used, left = 0, 0
local kind = redis.call('TYPE', key).ok
if kind ~= 'none' then
  local count = kind == 'string' and redis.call('GET', key) or ''
  left = redis.call('PTTL', key)
  if string.match(count, '^%d+$') == nil or #count > 15 or left < 0 or left > window then
    redis.call('DEL', key)
    damaged, left = 1, 0
  else
    used = tonumber(count)
  end
end
local allowed = used + cost <= limit
if allowed and not peek then
  if used == 0 then
    redis.call('SET', key, cost, 'PX', window)
    left = window
  else
    redis.call('INCRBY', key, cost)
  end
  used = used + cost
end
if used == 0 then left = 0 end
return { allowed and 1 or 0, math.max(0, limit - used), left, allowed and 0 or left, damaged }
`)
