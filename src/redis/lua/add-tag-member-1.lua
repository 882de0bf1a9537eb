--[[
  SDK: list an entry key under a tag BEFORE its value is loaded, so that invalidating the tag meanwhile
  deletes the lease and cancels the fill. The set lives at least as long as the entry.
  Input:  KEYS[1] tag set (tagKey)
          ARGV[1] entry key     ARGV[2] minimum ttl ms
  Output: 1 when the member is new, 0 when it was listed already
]]
local added = redis.call('SADD', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return added
