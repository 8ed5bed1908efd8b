/**
 * The start of every rate-limit script: its key and arguments, and the server's clock. KEYS[1] the
 * key; ARGV[1] 'hit' or 'peek' (a peek writes nothing but the repair of a damaged key), ARGV[2] the
 * limit, ARGV[3] the window in ms, ARGV[4] the cost. Redis 7 replicates a script's effects, so TIME
 * may come before writes; `replicate_commands` asks the same of Redis 6.
 */
export const scriptArguments = `
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local peek = ARGV[1] == 'peek'
local limit = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local damaged = 0
`

/**
 * The server's clock, never the caller's (so instances with skewed clocks agree): `now` in µs, which
 * a double holds exactly until the year 2255.
 */
export const serverClock = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
`
