--[[
  Worker refresh: write the new image of a row only if it is newer than anything the key has reached.
  Input:  KEYS[1] entry key                  KEYS[2] its version memory (same slot)
          ARGV[1] generation to write        ARGV[2] event version (never '')
          ARGV[3] now ms                     ARGV[4] stale-at ms (soft expiry)
          ARGV[5] hard ttl ms (PX)           ARGV[6] payload (serializer output)
          ARGV[7] memory ttl ms (how long the applied version is remembered)
          ARGV[8] the change's PostgreSQL transaction id ('' or absent when it has none)
  Output: 1 value written (the key was absent, a lease, or older, and the memory older)
          0 kept: the entry or the memory is at this version or a newer one (a late duplicate, a replay)
            and the memory had already counted this change's transaction
          2 entry deleted instead: the key held a value of unknown version (an SDK fill that may be newer
            than this event), so the conservative move is to drop it, never to write older data; or the
            change is older than the key but of a transaction the memory had not counted (a fill in progress
            was checked against an older one)
  Every outcome but 0 remembers the version and the transaction. A key holding something else is overwritten.
]]
--@include entry-header
--@include compare-versions
--@include version-memory
local raw = redis.pcall('GET', KEYS[1])
if type(raw) ~= 'string' then raw = nil end
local kind, _, version = entry_header(raw)
local incoming, xid = ARGV[2], ARGV[8] or ''
local memory, _, horizon = read_memory(KEYS[2])
-- Any kind with a version (a lease carries the floor it was taken at) at this version or newer wins.
local older = (memory ~= '' and compare_versions(memory, incoming) >= 0)
  or (kind ~= nil and version ~= '' and compare_versions(version, incoming) >= 0)
if older and later_xid(horizon, xid) == horizon then return 0 end
if older or (kind and version == '' and (kind == 'v' or kind == 'n')) then
  redis.call('DEL', KEYS[1])
  remember(KEYS[2], incoming, ARGV[7], redis_now_ms(), xid)
  return 2
end
redis.call('SET', KEYS[1],
  'v|' .. ARGV[1] .. '|' .. incoming .. '|' .. ARGV[3] .. '|' .. ARGV[4] .. '||' .. ARGV[6],
  'PX', ARGV[5])
remember(KEYS[2], incoming, ARGV[7], redis_now_ms(), xid)
return 1
