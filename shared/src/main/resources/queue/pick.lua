-- Hands out up to COUNT deliveries of this shard, fairly: one per organization per round, the
-- organizations served least first; within an organization, one endpoint per turn, likewise.
-- An endpoint is skipped while paused (Retry-After, open circuit) or over its rate, and it gets
-- no more than its free in-flight slots of the calling replica. Of an endpoint, a delivery whose
-- lease ran out (its replica died) comes first, then retries that are due, then new ones.
-- Every delivery handed out is leased to the caller until now + lease.
-- ARGV: base, now (ms), count, lease (ms), then endpoint, deliveries in flight pairs for the caller's busy endpoints.
-- Returns {next timer (ms, -1 = none), ready endpoints left (0/1), then per delivery:
--          endpoint, entry id, event, request id, trace context ('' = none), organization}.
local now, count, lease_ms = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local in_flight = {}
local busy = 0
for i = 5, #ARGV, 2 do
  in_flight[ARGV[i]] = tonumber(ARGV[i + 1])
  busy = busy + 1
end
local slots = {}
-- Every endpoint the caller cannot take more of is a busy one, so looking this far past COUNT
-- always reaches the organizations and endpoints it can serve.
local window = count + busy

-- Endpoints whose timer has come: back among the ready ones.
for _, ep in ipairs(redis.call('ZRANGEBYSCORE', TIMERS, '-inf', now, 'LIMIT', 0, 500)) do
  redis.call('ZREM', TIMERS, ep)
  activate(ep)
end

-- One delivery of the endpoint: a table, or false with nothing to hand out now.
local function take(ep, m)
  local pause = tonumber(redis.call('HGET', m, 'pause') or '0')
  if pause > now then
    redis.call('ZADD', TIMERS, 'LT', pause, ep)
    return false
  end
  local rate = tonumber(redis.call('HGET', m, 'rate') or '')
  local tat = 0
  if rate then
    tat = tonumber(redis.call('HGET', m, 'tat') or '0')
    if tat > now then
      redis.call('ZADD', TIMERS, 'LT', tat, ep)
      return false
    end
  end
  while true do
    local id = redis.call('ZRANGEBYSCORE', lease(ep), '-inf', now, 'LIMIT', 0, 1)[1]
    if not id then
      id = redis.call('ZRANGEBYSCORE', due(ep), '-inf', now, 'LIMIT', 0, 1)[1]
      if id then redis.call('ZREM', due(ep), id) end
    end
    local fields
    if id then
      local claimed = redis.call('XCLAIM', stream(ep), GROUP, CONSUMER, 0, id)
      if claimed[1] then
        fields = claimed[1][2]
      else
        redis.call('ZREM', lease(ep), id) -- acknowledged meanwhile: nothing left to do
      end
    elseif tonumber(redis.call('HGET', m, 'n') or '0') > 0 then
      local read = redis.call('XREADGROUP', 'GROUP', GROUP, CONSUMER, 'COUNT', 1, 'STREAMS', stream(ep), '>')
      if read and read[1] and read[1][2][1] then
        id = read[1][2][1][1]
        fields = read[1][2][1][2]
        redis.call('HINCRBY', m, 'n', -1)
        redis.call('HINCRBY', COUNTS, 'queued', -1)
      else
        redis.call('HSET', m, 'n', 0)
        break
      end
    else
      break
    end
    if fields then
      redis.call('ZADD', lease(ep), now + lease_ms, id)
      if rate then redis.call('HSET', m, 'tat', math.max(tat, now) + 1000 / rate) end
      local event, request, trace = '', '', ''
      for i = 1, #fields, 2 do
        local f = fields[i]
        if f == 'e' then event = fields[i + 1] elseif f == 'r' then request = fields[i + 1] elseif f == 't' then trace = fields[i + 1] end
      end
      return {ep, id, event, request, trace}
    end
  end
  arm(ep)
  return false
end

local out = {-1, 0}
local given = 0
local progress = true
while given < count and progress do
  progress = false
  for _, org in ipairs(redis.call('ZRANGE', READY, 0, window - 1)) do
    if given >= count then break end
    local eps = org_ready(org)
    for _, ep in ipairs(redis.call('ZRANGE', eps, 0, window - 1)) do
      local m = meta(ep)
      local free = slots[ep]
      if free == nil then free = tonumber(redis.call('HGET', m, 'max') or '16') - (in_flight[ep] or 0) end
      if free > 0 then
        local got = take(ep, m)
        if got then
          slots[ep] = free - 1
          redis.call('ZINCRBY', eps, 1, ep)
          redis.call('ZINCRBY', READY, 1, org)
          given = given + 1
          progress = true
          for _, v in ipairs(got) do out[#out + 1] = v end
          out[#out + 1] = org
          break
        else
          redis.call('ZREM', eps, ep)
        end
      end
    end
    if redis.call('ZCARD', eps) == 0 then redis.call('ZREM', READY, org) end
  end
end
local soonest = lowest(TIMERS)
if soonest then out[1] = soonest end
if redis.call('ZCARD', READY) > 0 then out[2] = 1 end
return out
