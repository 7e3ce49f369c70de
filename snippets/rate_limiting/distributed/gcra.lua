-- --8<-- [start:script]
-- GCRA on Redis: `limit` cost units per `window`, in bursts of up to `limit`.
-- KEYS[1]  a string: the theoretical arrival time (TAT) in microseconds
-- ARGV     limit, window (whole microseconds), cost
-- Returns  {allowed 1/0, remaining, retry_after in microseconds, server time in microseconds}
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME') -- Redis's clock, the same for every application server
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
-- emission interval T, rounded up to whole microseconds so that integers stay exact and the
-- rate never exceeds limit / window
local interval = math.ceil(window / limit)
local tolerance = limit * interval -- how far the TAT may run ahead of now: a burst of `limit`

local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or 0, now)
local new_tat = tat + cost * interval
if new_tat - now > tolerance then
  return {0, math.floor((tolerance - (tat - now)) / interval), new_tat - tolerance - now, now}
end
-- %d keeps all 16 digits (tostring() keeps 14); PX: the key goes when the TAT is in the past
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((tolerance - (new_tat - now)) / interval), 0, now}
-- --8<-- [end:script]
