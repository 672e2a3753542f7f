-- The organizations with anything queued in this shard: a previous shard layout has drained when
-- every one of them belongs here under a layout still in use.
-- ARGV: base.
-- Returns the organization ids (each once), separated by commas ('' when none).
local seen, out = {}, {}
for _, ep in ipairs(redis.call('SMEMBERS', ENDPOINTS)) do
  local org = redis.call('HGET', meta(ep), 'o')
  if org and not seen[org] then
    seen[org] = true
    out[#out + 1] = org
  end
end
return table.concat(out, ',')
