import { LuaScript } from '../../store/scripts.js'
import { scriptArguments, serverClock } from './script-arguments.js'

/**
 * The sliding log: the key is a sorted set with one member per admitted unit, scored by the server
 * time of its hit in µs. Members older than `window` are dropped first (ZREMRANGEBYSCORE), then the
 * rest are counted (ZCARD), and only a hit that fits adds its members (ZADD): all in one script, so
 * no other hit runs in between and two callers can never both take the last slot. Each new score is
 * past the newest one held (`now`, or the newest + 1 µs), and the member is its score in digits, so
 * members are unique even for hits in the same microsecond and for a cost above 1. The key's PEXPIRE
 * is when its newest member leaves the window: then it holds nothing. A key of another type, without
 * expiry, or with a member more than a window ahead of the server's clock is damaged: deleted (the
 * reply says so), and the hit counts from zero. A peek counts with ZCOUNT and writes nothing else.
 */
export const slidingLogScript = new LuaScript(`
${scriptArguments}
${serverClock}
local span = window * 1000
local oldest = now - span
local kind = redis.call('TYPE', key).ok
if kind ~= 'none' and (kind ~= 'zset' or redis.call('PTTL', key) < 0) then
  redis.call('DEL', key)
  damaged = 1
end
local newest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2] or '-1')
if newest > now + span then
  redis.call('DEL', key)
  damaged, newest = 1, -1
end
local stale, used = 0, 0
if peek then
  used = redis.call('ZCOUNT', key, '(' .. string.format('%.0f', oldest), '+inf')
  stale = redis.call('ZCARD', key) - used
else
  redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', oldest))
  used = redis.call('ZCARD', key)
end
local allowed = used + cost <= limit
if allowed and not peek then
  local score = math.max(now, newest + 1)
  for first = 0, cost - 1, 500 do
    local batch = {}
    for unit = first, math.min(cost, first + 500) - 1 do
      local digits = string.format('%.0f', score + unit)
      batch[#batch + 1] = digits
      batch[#batch + 1] = digits
    end
    redis.call('ZADD', key, unpack(batch))
  end
  used = used + cost
  newest = score + cost - 1
  redis.call('PEXPIRE', key, math.ceil((newest - oldest) / 1000))
end
local reset, retry = 0, 0
if used > 0 then reset = math.ceil((newest - oldest) / 1000) end
if not allowed then
  local frees = stale + used + cost - limit - 1
  local score = tonumber(redis.call('ZRANGE', key, frees, frees, 'WITHSCORES')[2])
  retry = math.ceil((score - oldest) / 1000)
end
return { allowed and 1 or 0, math.max(0, limit - used), math.max(0, reset), math.max(0, retry), damaged }
`)
