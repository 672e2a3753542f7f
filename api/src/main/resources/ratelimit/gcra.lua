-- GCRA rate limit in one round trip, on Redis's clock (the same for every api replica).
-- KEYS[1]: the organization's key. ARGV[1]: emission interval in microseconds (60 s / limit),
-- ARGV[2]: burst (the per-minute limit), ARGV[3]: units asked for (1, or a batch's item count).
-- Grants as many of the units as are available now, up to the ask.
-- Returns {granted, remaining, retry_after_us, reset_us}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])

local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
-- Units that fit before the theoretical arrival time runs a full burst ahead of now.
local available = math.floor((now + interval * burst - tat) / interval)
if available < 0 then available = 0 end
local granted = math.min(cost, available)
if granted > 0 then
  tat = tat + interval * granted
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
end
local retry_after = 0
if granted < cost then
  retry_after = tat + interval - interval * burst - now
  if retry_after < 0 then retry_after = 0 end
end
return {granted, available - granted, retry_after, tat - now}
