-- Queues one delivery (an event to an endpoint) unless it is queued already.
-- ARGV: base, organization, endpoint, event, request id, rate limit per second ('' = none),
--       max in flight, wake channel, shard.
-- Returns 1 when queued, 0 when it already was.
local org, ep, event = ARGV[2], ARGV[3], ARGV[4]
if redis.call('HEXISTS', queued(ep), event) == 1 then return 0 end
local m = meta(ep)
if redis.call('HSETNX', m, 'g', 1) == 1 then
  redis.call('PERSIST', m)
  local ok = pcall(redis.call, 'XGROUP', 'CREATE', stream(ep), GROUP, '0', 'MKSTREAM')
end
local id = redis.call('XADD', stream(ep), '*', 'e', event, 'r', ARGV[5])
redis.call('HSET', queued(ep), event, id)
redis.call('HSET', m, 'o', org, 'max', ARGV[7])
if ARGV[6] == '' then redis.call('HDEL', m, 'rate') else redis.call('HSET', m, 'rate', ARGV[6]) end
redis.call('HINCRBY', m, 'n', 1)
redis.call('HINCRBY', COUNTS, 'queued', 1)
redis.call('SADD', ENDPOINTS, ep)
if activate(ep) == 1 then redis.call('PUBLISH', ARGV[8], ARGV[9]) end
return 1
