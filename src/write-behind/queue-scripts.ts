import { LuaScript } from '../store/scripts.js'

/**
 * Writes values and queues them, as one step: refused (-1, nothing written) when the queue and the
 * dead letters would hold more than ARGV[1] entries; else every SET (with PX ARGV[2] unless it is
 * '') and an XADD of `k` (the encoded key) and `v` (the stored value) each. Resolves to how many.
 *
 * KEYS: the value keys, then the queue and the dead letters; ARGV[3..]: encoded key, value pairs.
 */
export const enqueueWrites = new LuaScript(`
local n = #KEYS - 2
local queue = KEYS[n + 1]
if redis.call('XLEN', queue) + redis.call('XLEN', KEYS[n + 2]) + n > tonumber(ARGV[1]) then return -1 end
for i = 1, n do
  local value = ARGV[2 + 2 * i]
  if ARGV[2] == '' then redis.call('SET', KEYS[i], value) else redis.call('SET', KEYS[i], value, 'PX', ARGV[2]) end
  redis.call('XADD', queue, '*', 'k', ARGV[1 + 2 * i], 'v', value)
end
return n
`)

/**
 * Removes keys and queues their deletes (`k` alone), as one step, bounded as `enqueueWrites`.
 * Resolves to how many keys existed, or -1 when refused.
 *
 * KEYS: the value keys, then the queue and the dead letters; ARGV[1] the bound; ARGV[2..] the encoded keys.
 */
export const enqueueDeletes = new LuaScript(`
local n = #KEYS - 2
local queue = KEYS[n + 1]
if redis.call('XLEN', queue) + redis.call('XLEN', KEYS[n + 2]) + n > tonumber(ARGV[1]) then return -1 end
local removed = 0
for i = 1, n do
  removed = removed + redis.call('UNLINK', KEYS[i])
  redis.call('XADD', queue, '*', 'k', ARGV[1 + i])
end
return removed
`)

/**
 * One drain step of consumer ARGV[2]: takes or renews the lease (KEYS[2], ARGV[3] ms), or answers
 * {0} when another instance holds it. Then, in order: entries of a lost drainer idle for ARGV[4] ms
 * (claimed: {2, entries, their XPENDING rows}); {1} while a lost drainer's entries are not idle
 * that long yet (newer entries wait behind them: per-key order); else up to ARGV[5] new entries
 * ({3, XREADGROUP's reply}). Never blocks. KEYS[1] the queue; ARGV[1] the group.
 */
export const takeBatch = new LuaScript(`
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[2] then return {0} end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[4], '0-0', 'COUNT', ARGV[5])
if #claimed[3] > 0 then redis.call('XACK', KEYS[1], ARGV[1], unpack(claimed[3])) end
local entries = claimed[2]
if #entries > 0 then
  local rows = redis.call('XPENDING', KEYS[1], ARGV[1], entries[1][1], entries[#entries][1], #entries, ARGV[2])
  return {2, entries, rows}
end
if redis.call('XPENDING', KEYS[1], ARGV[1])[1] > 0 then return {1} end
return {3, redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[5], 'STREAMS', KEYS[1], '>')}
`)

/** Renews the lease KEYS[1] of ARGV[1] for ARGV[2] ms while it holds it: 1, else 0. */
export const renewLease = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

/** Gives the lease KEYS[1] up if ARGV[1] holds it. */
export const releaseLease = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

/** Acknowledges and removes the flushed entries ARGV[2..] of queue KEYS[1] (group ARGV[1]), as one step. */
export const settleEntries = new LuaScript(`
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))
`)

/**
 * Moves the entries ARGV[3..] of queue KEYS[1] (group ARGV[1]) to the dead letters KEYS[2], each
 * with its fields, its id (`id`) and why (`error`: ARGV[2]), then acknowledges and removes them.
 */
export const deadLetterEntries = new LuaScript(`
for i = 3, #ARGV do
  local found = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #found > 0 then
    local fields = found[1][2]
    table.insert(fields, 'id')
    table.insert(fields, ARGV[i])
    table.insert(fields, 'error')
    table.insert(fields, ARGV[2])
    redis.call('XADD', KEYS[2], '*', unpack(fields))
  end
end
redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 3))
return redis.call('XDEL', KEYS[1], unpack(ARGV, 3))
`)
