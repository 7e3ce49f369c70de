-- --8<-- [start:script]
-- Fixed window on Redis: at most `limit` cost units per window [k*window, (k+1)*window).
-- KEYS[1]  a hash {w = window number, n = cost admitted in that window}
-- ARGV     limit, window (whole microseconds), cost
-- Returns  {allowed 1/0, remaining, retry_after in microseconds, server time in microseconds}
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME') -- Redis's clock, the same for every application server
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local number = math.floor(now / window)
local window_end = (number + 1) * window

local stored = redis.call('HMGET', KEYS[1], 'w', 'n')
local used = 0
if tonumber(stored[1]) == number then -- a count from an older window is stale, whatever its TTL
  used = tonumber(stored[2])
end
if used + cost > limit then
  return {0, limit - used, window_end - now, now}
end
used = used + cost
-- %d keeps all 16 digits: tostring() or `..` would print a number with only 14
redis.call('HSET', KEYS[1], 'w', string.format('%d', number), 'n', string.format('%d', used))
redis.call('PEXPIRE', KEYS[1], math.ceil((window_end - now) / 1000)) -- same script: never a key without a TTL
return {1, limit - used, 0, now}
-- --8<-- [end:script]
