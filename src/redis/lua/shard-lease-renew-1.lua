--[[
  Extend a shard lease, and optionally record a checkpoint, only while the caller still owns the lease
  (another worker that took an expired lease over owns it now; the old owner must stop and never write).
  Input:  KEYS[1] shard state hash
          ARGV[1] owner token  ARGV[2] lease ttl ms  ARGV[3] checkpoint to record ('' = none)
          ARGV[4] ms after which the hash expires once the shard is finished ('' = never)
  Output: 1 renewed (and checkpointed), 0 not the owner (nothing written)
]]
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('HSET', KEYS[1], 'until', tostring(nowMs + tonumber(ARGV[2])))
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'seq', ARGV[3])
end
if ARGV[4] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return 1
