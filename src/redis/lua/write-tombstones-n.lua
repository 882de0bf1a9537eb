--[[
  Worker, standalone Redis: many versioned tombstones in one call (see write-tombstone-2.lua for one),
  so a batch of deletes costs a few script calls instead of one per key.
  Input:  KEYS[2i-1] entry key             KEYS[2i] its version memory
          ARGV[3i-2] event version ('' = forget the versions, keep the time)
          ARGV[3i-1] memory ttl ms
          ARGV[3i]   the change's PostgreSQL transaction id ('' when none)
  Output: the number of entries deleted
]]
--@include entry-header
--@include compare-versions
--@include version-memory
local now_ms = redis_now_ms()
local deleted = 0
for i = 1, #KEYS / 2 do
  deleted = deleted + tombstone(KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 * i - 2], ARGV[3 * i - 1], now_ms, ARGV[3 * i])
end
return deleted
