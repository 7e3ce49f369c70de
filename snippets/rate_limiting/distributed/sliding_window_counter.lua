-- --8<-- [start:script]
-- Sliding window counter on Redis (Cloudflare's approximation): a request passes if
--   previous * (window - elapsed) / window + current + cost <= limit
-- where current and previous are the cost admitted in this fixed window and the one before.
-- KEYS[1], KEYS[2]  hashes {w = window number, n = cost} for even and odd window numbers;
--                   the caller gives both one hash tag, so that they live in one Cluster slot
-- ARGV     limit, window (whole microseconds), cost
-- Returns  {allowed 1/0, remaining, retry_after in microseconds, server time in microseconds}
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local time = redis.call('TIME') -- Redis's clock, the same for every application server
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local number = math.floor(now / window)
local elapsed = now - number * window

local function count(key, wanted) -- a hash left over from an older window counts nothing
  local stored = redis.call('HMGET', key, 'w', 'n')
  if tonumber(stored[1]) == wanted then return tonumber(stored[2]) end
  return 0
end
local current_key = KEYS[1 + number % 2]
local current = count(current_key, number)
local previous = count(KEYS[2 - number % 2], number - 1)

local function fits(prev, cur, at) -- the decision rule, at `at` microseconds into a window
  return prev * ((window - at) / window) + cur + cost <= limit
end
local function first_fit(prev, cur, from) -- the earliest elapsed time >= from at which it fits
  if fits(prev, cur, from) then return from end
  local at = math.max(from, math.ceil(window * (1 - (limit - cur - cost) / prev)))
  while at < window and not fits(prev, cur, at) do at = at + 1 end -- float rounding: step to
  while at > from and fits(prev, cur, at - 1) do at = at - 1 end -- the first microsecond that fits
  return at
end

if not fits(previous, current, elapsed) then
  local estimate = previous * ((window - elapsed) / window) + current
  local wait
  if current + cost <= limit then -- it fits later in this window, as the previous count fades
    wait = first_fit(previous, current, elapsed) - elapsed
  else -- next window: this window's count becomes the previous one
    wait = window - elapsed + first_fit(current, 0, 0)
  end
  return {0, math.max(0, math.floor(limit - estimate)), wait, now}
end
current = current + cost
redis.call('HSET', current_key, 'w', string.format('%d', number), 'n', string.format('%d', current))
-- this count is still needed as "previous" during the next window
redis.call('PEXPIRE', current_key, math.ceil(((number + 2) * window - now) / 1000))
local estimate = previous * ((window - elapsed) / window) + current
return {1, math.max(0, math.floor(limit - estimate)), 0, now}
-- --8<-- [end:script]
