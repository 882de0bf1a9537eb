--[[
  Give a shard lease up (graceful shutdown, rebalancing), keeping the checkpoint, if the caller owns it.
  Input:  KEYS[1] shard state hash
          ARGV[1] owner token
  Output: 1 released, 0 not the owner
]]
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[1], 'owner', 'until')
return 1
