-- What the shard holds, for the metrics (no organization or endpoint names leave the script).
-- ARGV: base, now (ms).
-- Returns {queued, due, waiting, in flight, endpoints ready, throttled, paused, waiting}.
local now = tonumber(ARGV[2])
local due_now, waiting, in_flight = 0, 0, 0
local ready, throttled, paused, idle = 0, 0, 0, 0
for _, ep in ipairs(redis.call('SMEMBERS', ENDPOINTS)) do
  due_now = due_now + redis.call('ZCOUNT', due(ep), '-inf', now) + redis.call('ZCOUNT', lease(ep), '-inf', now)
  waiting = waiting + redis.call('ZCOUNT', due(ep), '(' .. now, '+inf')
  in_flight = in_flight + redis.call('ZCOUNT', lease(ep), '(' .. now, '+inf')
  local m = meta(ep)
  local org = redis.call('HGET', m, 'o')
  if tonumber(redis.call('HGET', m, 'pause') or '0') > now then
    paused = paused + 1
  elseif redis.call('HEXISTS', m, 'rate') == 1 and tonumber(redis.call('HGET', m, 'tat') or '0') > now
      and redis.call('ZSCORE', TIMERS, ep) then
    throttled = throttled + 1
  elseif org and redis.call('ZSCORE', org_ready(org), ep) then
    ready = ready + 1
  else
    idle = idle + 1
  end
end
local queued_now = tonumber(redis.call('HGET', COUNTS, 'queued') or '0')
return {queued_now, due_now, waiting, in_flight, ready, throttled, paused, idle}
