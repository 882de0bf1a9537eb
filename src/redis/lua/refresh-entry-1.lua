--[[
  Worker refresh: write the new image of a row only if it is newer than what the entry holds.
  Input:  KEYS[1] entry key
          ARGV[1] generation to write        ARGV[2] event version (never '')
          ARGV[3] now ms                     ARGV[4] stale-at ms (soft expiry)
          ARGV[5] hard ttl ms (PX)           ARGV[6] payload (serializer output)
          ARGV[7] tombstone ttl ms
  Output: 1 value written (the key was absent, a lease, or an older version)
          0 kept (a value, not-found, tombstone, or a lease that replaced a tombstone, at this version or
            a newer one)
          2 tombstone written instead: the key held a value of unknown version (an SDK fill that may
            be newer than this event), so the conservative move is to drop it, never to write older data
  A key holding something that is not a cdc-cache entry (or another type) is overwritten.
]]
--@include entry-header
--@include compare-versions
local raw = redis.pcall('GET', KEYS[1])
if type(raw) ~= 'string' then raw = nil end
local kind, _, version = entry_header(raw)
local incoming = ARGV[2]
if kind then
  if version ~= '' then
    -- Any kind with a version (a lease carries the tombstone it replaced) at this version or newer wins.
    if compare_versions(version, incoming) >= 0 then return 0 end
  elseif kind ~= 't' and kind ~= 'l' then
    redis.call('SET', KEYS[1], 't|' .. ARGV[1] .. '|' .. incoming .. '|' .. ARGV[3], 'PX', ARGV[7])
    return 2
  end
end
redis.call('SET', KEYS[1],
  'v|' .. ARGV[1] .. '|' .. incoming .. '|' .. ARGV[3] .. '|' .. ARGV[4] .. '||' .. ARGV[6],
  'PX', ARGV[5])
return 1
