import { LuaScript } from '../../store/scripts.js'
import { scriptArguments, serverClock } from './script-arguments.js'

/**
 * The sliding window: the key is a hash of the current window's start `s` (server ms), its count
 * `c`, and the previous window's count `p`. The first hit starts a window; a hit past its end rolls
 * it over (`p` = `c`, once; two windows later both are gone, and so is the key, whose PEXPIRE is the
 * end of the next window). A hit is allowed when
 *   p × (window − elapsed) / window + c + cost ≤ limit
 * that is, when the previous window's hits, taken as spread evenly over it, and this window's leave
 * room for it; compared as `p × (window − elapsed) ≤ (limit − c − cost) × window`, in whole numbers.
 * A key of another type, fields that are not counts, a window starting more than a window ahead of
 * the server's clock, or a key without expiry is damaged: deleted (the reply says so), and the hit
 * counts from zero.
 */
export const slidingWindowScript = new LuaScript(`
${scriptArguments}
${serverClock}
now = math.floor(now / 1000)
local start, current, previous = now, 0, 0
local kind = redis.call('TYPE', key).ok
if kind ~= 'none' then
  local fields = kind == 'hash' and redis.call('HMGET', key, 's', 'c', 'p') or {}
  local s, c, p = tonumber(fields[1]), tonumber(fields[2]), tonumber(fields[3])
  if s == nil or c == nil or p == nil or c < 0 or p < 0 or s > now + window or redis.call('PTTL', key) < 0 then
    redis.call('DEL', key)
    damaged = 1
  elseif now < s + window then
    start, current, previous = s, c, p
  elseif now < s + 2 * window then
    start, current, previous = s + window, 0, c
  end
end
local elapsed = math.max(0, math.min(window, now - start))
local fits = function(units)
  return previous * (window - elapsed) <= (limit - current - units) * window
end
local allowed = fits(cost)
if allowed and not peek then
  current = current + cost
  redis.call('HSET', key, 's', start, 'c', current, 'p', previous)
  redis.call('PEXPIRE', key, math.ceil(start + 2 * window - now))
end
local remaining = math.max(0, math.floor(limit - current - previous * (window - elapsed) / window))
if remaining > 0 and not fits(remaining) then remaining = remaining - 1 end
local reset = 0
if current > 0 then reset = start + 2 * window - now elseif previous > 0 then reset = start + window - now end
local retry = 0
if not allowed then
  local room = limit - cost
  if current <= room then
    retry = start + window - math.floor((room - current) * window / previous) - now
  else
    retry = start + 2 * window - math.floor(room * window / current) - now
  end
end
return { allowed and 1 or 0, remaining, math.max(0, reset), math.max(0, retry), damaged }
`)
