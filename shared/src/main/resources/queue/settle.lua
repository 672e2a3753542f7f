-- Ends one hand-out of a delivery.
-- ARGV: base, endpoint, entry id, event, action, at (ms), pause until (ms, 0 = none), dead-letter stream.
--   action 'ack':   done (delivered, dead or no longer owed): the entry is acknowledged and deleted;
--                   an endpoint with nothing left loses its keys.
--   action 'retry': stays pending, due again at 'at' (a retry, or a delivery put off).
-- A 'pause until' pauses the whole endpoint (Retry-After, 429/503, open circuit).
-- Returns 1 when this replica still held the delivery's lease, 0 when it had run out meanwhile.
local ep, id, event, action, at, pause = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local held = redis.call('ZREM', lease(ep), id)
local m = meta(ep)
if pause > 0 then
  local current = tonumber(redis.call('HGET', m, 'pause') or '0')
  if pause > current then redis.call('HSET', m, 'pause', pause) end
  redis.call('ZADD', TIMERS, 'LT', pause, ep)
end
if action == 'ack' then
  redis.call('ZREM', due(ep), id)
  redis.call('XACK', stream(ep), GROUP, id)
  redis.call('XDEL', stream(ep), id)
  if redis.call('HGET', queued(ep), event) == id then redis.call('HDEL', queued(ep), event) end
  if redis.call('XLEN', stream(ep)) == 0 and redis.call('ZCARD', lease(ep)) == 0 then
    redis.call('DEL', stream(ep), due(ep), lease(ep), queued(ep))
    redis.call('HDEL', m, 'g', 'n')
    redis.call('EXPIRE', m, 86400)
    redis.call('SREM', ENDPOINTS, ep)
    redis.call('ZREM', TIMERS, ep)
    local org = redis.call('HGET', m, 'o')
    if org then deactivate(ep, org) end
  end
else
  redis.call('ZADD', due(ep), at, id)
  redis.call('ZADD', TIMERS, 'LT', at, ep)
end
return held
