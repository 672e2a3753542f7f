-- Shared by every queue script (prepended to each). All keys of one shard share the hash tag
-- {<prefix>.<shard>}, so a script touches one cluster slot. ARGV[1] is the shard's key base,
-- "<prefix>:{<prefix>.<shard>}:", and KEYS[1] its ready set (named so Redis Cluster routes the call).
local base = ARGV[1]
local GROUP = 'deliverers'
local CONSUMER = 'worker'
local READY = KEYS[1]
local TIMERS = base .. 'timers'
local ENDPOINTS = base .. 'endpoints'
local COUNTS = base .. 'counts'
local function stream(ep) return base .. 's:' .. ep end
local function due(ep) return base .. 'due:' .. ep end
local function lease(ep) return base .. 'lease:' .. ep end
local function queued(ep) return base .. 'queued:' .. ep end
local function meta(ep) return base .. 'ep:' .. ep end
local function org_ready(org) return base .. 'org:' .. org end

-- The lowest score of a sorted set, or nil when it is empty.
local function lowest(key)
  local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if first[1] then return tonumber(first[2]) end
  return nil
end

-- Puts an endpoint among its organization's ready endpoints, and the organization among the
-- shard's ready ones, each at the lowest score present (start-time fair queueing: a newcomer is
-- served next, never ahead of the others by more than one turn). Returns 1 when it was not ready.
local function activate(ep)
  local org = redis.call('HGET', meta(ep), 'o')
  if not org then return 0 end
  local eps = org_ready(org)
  if redis.call('ZSCORE', eps, ep) then return 0 end
  redis.call('ZADD', eps, lowest(eps) or 0, ep)
  if not redis.call('ZSCORE', READY, org) then
    redis.call('ZADD', READY, lowest(READY) or 0, org)
  end
  return 1
end

-- Takes an endpoint out of the ready sets (nothing to hand out now).
local function deactivate(ep, org)
  local eps = org_ready(org)
  redis.call('ZREM', eps, ep)
  if redis.call('ZCARD', eps) == 0 then redis.call('ZREM', READY, org) end
end

-- Sets the endpoint's timer to the earliest moment something of it comes due (a retry, a lease
-- running out), when that is sooner than the timer it has.
local function arm(ep)
  local soonest = lowest(due(ep))
  local leased = lowest(lease(ep))
  if leased and (not soonest or leased < soonest) then soonest = leased end
  if soonest then redis.call('ZADD', TIMERS, 'LT', soonest, ep) end
end
