--[[
  Claim (or keep) the lease of one DynamoDB stream shard. The shard's lease and checkpoint live in one hash,
  so that a checkpoint can be fenced by the lease atomically, on one Redis Cluster slot.
  Input:  KEYS[1] shard state hash (fields: owner, until = lease expiry in ms of Redis time, seq = checkpoint)
          ARGV[1] owner token  ARGV[2] lease ttl ms
  Output: { 1, checkpoint or '' } claimed (free, expired, or already ours); { 0, checkpoint or '' } held by another
]]
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'owner', 'until', 'seq')
local owner, untilMs, seq = state[1], tonumber(state[2] or '0') or 0, state[3] or ''
if owner and owner ~= ARGV[1] and untilMs > nowMs then
  return { 0, seq }
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'until', tostring(nowMs + tonumber(ARGV[2])))
return { 1, seq }
