--[[
  Worker truncate: remember the highest version at which an entity's table was truncated, so a late
  refresh from before the truncate is turned into a tombstone instead of bringing a removed row back.
  Input:  KEYS[1] truncation key of the entity
          ARGV[1] the truncate event's version (never '')
  Output: 1 raised, 0 kept (it already holds this version or a newer one)
]]
--@include compare-versions
local current = redis.call('GET', KEYS[1])
if current and compare_versions(current, ARGV[1]) >= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
