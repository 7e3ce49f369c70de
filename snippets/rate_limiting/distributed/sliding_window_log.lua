-- --8<-- [start:script]
-- Sliding window log on Redis: at most `limit` cost units in any window (now - window, now].
-- KEYS[1]  a sorted set with one member per admitted cost unit, scored by its time in microseconds
-- ARGV     limit, window (whole microseconds), cost
-- Returns  {allowed 1/0, remaining, retry_after in microseconds, server time in microseconds}
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME') -- Redis's clock, the same for every application server
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window) -- forget what left the window
local used = redis.call('ZCARD', KEYS[1])
if used + cost > limit then
  -- the oldest (used + cost - limit) units must leave first: the last of them leaves at its time + window
  local last = used + cost - limit - 1
  local leaving = redis.call('ZRANGE', KEYS[1], last, last, 'WITHSCORES')
  return {0, limit - used, tonumber(leaving[2]) + window - now, now}
end
for i = 1, cost do
  -- members must be unique: time and position, formatted with %d (tostring() keeps 14 digits of 16)
  redis.call('ZADD', KEYS[1], now, string.format('%d:%d', now, used + i))
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000)) -- same script: never a key without a TTL
return {1, limit - used - cost, 0, now}
-- --8<-- [end:script]
