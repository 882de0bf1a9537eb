--[[
  Worker tombstone: the row was deleted (or its key moved away) at a version, so a late, older refresh
  must not bring the data back. Replaces a lease (cancelling that fill), a value or not-found of an older
  or unknown version, or an older tombstone.
  Input:  KEYS[1] entry key
          ARGV[1] generation  ARGV[2] event version (never '')  ARGV[3] now ms  ARGV[4] tombstone ttl ms
  Output: 1 tombstone written
          0 kept (a value, not-found or lease of a newer version, or a tombstone at this version or newer)
]]
--@include entry-header
--@include compare-versions
local raw = redis.pcall('GET', KEYS[1])
if type(raw) ~= 'string' then raw = nil end
local kind, _, version = entry_header(raw)
if kind and version ~= '' then
  local order = compare_versions(version, ARGV[2])
  if order > 0 or (order == 0 and kind == 't') then return 0 end
end
redis.call('SET', KEYS[1], 't|' .. ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3], 'PX', ARGV[4])
return 1
