-- Queues deliveries (each an event to an endpoint), all of this shard, leaving alone each one that
-- is queued already; wakes the workers once if an endpoint became ready.
-- ARGV: base, wake channel, shard, then seven values per delivery: organization, endpoint, event,
--       request id, trace context (a traceparent, '' = none), rate limit per second ('' = none),
--       max in flight.
-- Returns how many were queued (the others already were).
local queued_now, wake = 0, false
local described = nil
for i = 4, #ARGV, 7 do
  local org, ep, event, request, trace, rate, max = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  if redis.call('HEXISTS', queued(ep), event) == 0 then
    local m = meta(ep)
    if described ~= ep then
      if redis.call('HSETNX', m, 'g', 1) == 1 then
        redis.call('PERSIST', m)
        pcall(redis.call, 'XGROUP', 'CREATE', stream(ep), GROUP, '0', 'MKSTREAM')
      end
      redis.call('HSET', m, 'o', org, 'max', max)
      if rate == '' then redis.call('HDEL', m, 'rate') else redis.call('HSET', m, 'rate', rate) end
      redis.call('SADD', ENDPOINTS, ep)
      described = ep
    end
    local id
    if trace == '' then
      id = redis.call('XADD', stream(ep), '*', 'e', event, 'r', request)
    else
      id = redis.call('XADD', stream(ep), '*', 'e', event, 'r', request, 't', trace)
    end
    redis.call('HSET', queued(ep), event, id)
    redis.call('HINCRBY', m, 'n', 1)
    queued_now = queued_now + 1
    if activate(ep) == 1 then wake = true end
  end
end
if queued_now > 0 then redis.call('HINCRBY', COUNTS, 'queued', queued_now) end
if wake then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return queued_now
