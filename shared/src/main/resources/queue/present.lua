-- Which of these deliveries are queued in this shard. While the shard count changes, a delivery
-- owed in PostgreSQL may still be queued in its organization's shard of the previous layout; the
-- reconciler and replay ask there before queueing it in the new one.
-- ARGV: base, then endpoint, event pairs.
-- Returns a string with one character per pair: '1' queued here, '0' not.
local out = {}
for i = 2, #ARGV, 2 do
  out[#out + 1] = redis.call('HEXISTS', queued(ARGV[i]), ARGV[i + 1]) == 1 and '1' or '0'
end
return table.concat(out)
