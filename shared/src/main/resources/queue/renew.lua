-- Extends the leases of deliveries the caller is still working on; a lease already given up
-- (settled) is not brought back. ARGV: base, until (ms), then endpoint, entry id pairs.
local renewed = 0
for i = 3, #ARGV, 2 do
  renewed = renewed + redis.call('ZADD', lease(ARGV[i]), 'XX', 'CH', ARGV[2], ARGV[i + 1])
end
return renewed
