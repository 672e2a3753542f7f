-- Tells the queue an endpoint's organization and limits (on create and PATCH; also on every enqueue).
-- ARGV: base, organization, endpoint, rate limit per second ('' = none), max in flight.
local m = meta(ARGV[3])
redis.call('HSET', m, 'o', ARGV[2], 'max', ARGV[5])
if ARGV[4] == '' then redis.call('HDEL', m, 'rate') else redis.call('HSET', m, 'rate', ARGV[4]) end
if redis.call('HEXISTS', m, 'g') == 0 then redis.call('EXPIRE', m, 86400) end
return 1
