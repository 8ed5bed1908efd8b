import { LuaScript } from '../../store/scripts.js'

/*
 * The hand-over bookkeeping of a FlipCounter with `persist`: a set of dirty counters (`name#dirty`,
 * members the encoded keys), and one hash for the hand-over in flight (`name#inflight`: `t` its
 * token, `u` when its lease ends in Redis server ms, `m` its members as JSON). One hand-over at a
 * time across every instance, so a later hand-over never overtakes an earlier one's values.
 */

/**
 * Claims the next hand-over for token ARGV[1]: `{'batch', member...}` (the dirty members it took,
 * at most ARGV[2], or those of a hand-over whose lease ran out: it is taken over whole), `{'busy'}`
 * while another instance's hand-over is in flight, `{'empty'}` when nothing changed.
 *
 * KEYS[1] the dirty set; KEYS[2] the in-flight hash. ARGV[1] token; ARGV[2] batch size; ARGV[3] lease ms.
 */
export const claimHandOver = new LuaScript(`
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local lease = now + tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[2], 'u', 'm')
if held[2] then
  if (tonumber(held[1]) or 0) > now then return {'busy'} end
  local ok, members = pcall(cjson.decode, held[2])
  if ok and type(members) == 'table' and #members > 0 then
    redis.call('HSET', KEYS[2], 't', ARGV[1], 'u', lease)
    local reply = {'batch'}
    for index = 1, #members do reply[index + 1] = tostring(members[index]) end
    return reply
  end
  redis.call('DEL', KEYS[2])
end
local members = redis.call('SPOP', KEYS[1], ARGV[2])
if #members == 0 then return {'empty'} end
redis.call('HSET', KEYS[2], 't', ARGV[1], 'u', lease, 'm', cjson.encode(members))
local reply = {'batch'}
for index = 1, #members do reply[index + 1] = members[index] end
return reply
`)

/** Acknowledges hand-over ARGV[1]: it is forgotten, if it was still ours. Replies 1 if it was. KEYS[1] the in-flight hash. */
export const acknowledgeHandOver = new LuaScript(
  `if redis.call('HGET', KEYS[1], 't') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end return 0`,
)

/**
 * Gives hand-over ARGV[1] back (its `persist` call failed): its members are dirty again, for the
 * next hand-over. KEYS[1] the dirty set; KEYS[2] the in-flight hash.
 */
export const returnHandOver = new LuaScript(`
if redis.call('HGET', KEYS[2], 't') ~= ARGV[1] then return 0 end
local members = cjson.decode(redis.call('HGET', KEYS[2], 'm'))
for first = 1, #members, 1000 do
  redis.call('SADD', KEYS[1], unpack(members, first, math.min(first + 999, #members)))
end
redis.call('DEL', KEYS[2])
return 1
`)

/** The value `v` of counter KEYS[1] (false when missing or being restored), or `{'bad', type}` for a key that holds no counter. */
export const readCounter = new LuaScript(`
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' or kind == 'hash' then return {'value', redis.call('HGET', KEYS[1], 'v')} end
return {'bad', kind}
`)
