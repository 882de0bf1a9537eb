--[[
  Worker: many versioned tombstones in one call (see tombstone() in includes/version-memory.lua), so a batch
  of deletes costs one script call per pipeline on standalone Redis and one per slot on Redis Cluster (every
  key of a call must then share one slot), instead of one per key.
  Input:  KEYS[2i-1] entry key             KEYS[2i] its version memory
          ARGV, in runs of three, one run per consecutive keys with the same version and ttl (the keys of
          one change share both, so the worker sends a third of the arguments it would send per key):
          ARGV[3j-2] event version ('' = forget the versions, keep the time)
          ARGV[3j-1] memory ttl ms
          ARGV[3j]   how many entries (pairs of keys) the run covers
  Output: the number of entries deleted
  Each key gets exactly what tombstone() does, in order. When no key repeats (the worker sends one action
  per key), the entries and memories are read with one MGET and the entries deleted with one DEL: a few
  Redis calls per key fewer, which is most of a tombstone's cost inside Redis.
]]
--@include entry-header
--@include compare-versions
--@include version-memory
local now_ms = redis_now_ms()
local count = #KEYS
-- The version and memory ttl of entry i (KEYS[2i-1]), from the runs.
local versions, ttls = {}, {}
local entry = 0
for j = 1, #ARGV, 3 do
  for _ = 1, tonumber(ARGV[j + 2]) do
    entry = entry + 1
    versions[entry] = ARGV[j]
    ttls[entry] = ARGV[j + 1]
  end
end
if entry * 2 ~= count then
  return redis.error_reply('write-tombstones-n: the runs cover ' .. entry .. ' entries, KEYS hold ' .. count .. ' keys')
end
-- Most keys per MGET or DEL call (Lua's unpack is bounded by its C stack).
local CHUNK = 1000

local seen = {}
local repeated = false
for i = 1, count do
  local key = KEYS[i]
  if seen[key] then
    repeated = true
    break
  end
  seen[key] = true
end

local deleted = 0
if repeated then
  -- A key twice in one call: each tombstone must see the one before it, so one at a time.
  for i = 1, count, 2 do
    local at = (i + 1) / 2
    deleted = deleted + tombstone(KEYS[i], KEYS[i + 1], versions[at], ttls[at], now_ms)
  end
  return deleted
end

-- MGET answers false for a missing key and for a key of another type, as the GETs of tombstone() read them.
local raws = {}
for first = 1, count, CHUNK do
  local last = math.min(first + CHUNK - 1, count)
  local chunk = redis.call('MGET', unpack(KEYS, first, last))
  for offset = 1, #chunk do raws[first + offset - 1] = chunk[offset] end
end

local doomed = {}
local at_now = '|' .. now_ms
for i = 1, count, 2 do
  local at = (i + 1) / 2
  local incoming = versions[at]
  local raw = raws[i]
  -- entry_header()'s kind and version, without copying the rest of the entry.
  local kind, version
  if type(raw) == 'string' then kind, version = string.match(raw, '^([vnlt])|%d+|([^|]*)') end
  -- remember(): keep the newer of the remembered and the incoming version, and the time of this change.
  local remembered = incoming
  if incoming ~= '' then
    local memory = raws[i + 1]
    local old = type(memory) == 'string' and string.match(memory, '^([^|]*)|%d+$') or nil
    if old and old ~= '' and compare_versions(old, incoming) > 0 then remembered = old end
  end
  redis.call('SET', KEYS[i + 1], remembered .. at_now, 'PX', ttls[at])
  if not (incoming ~= '' and kind and kind ~= 't' and version ~= '' and compare_versions(version, incoming) >= 0) then
    doomed[#doomed + 1] = KEYS[i]
  end
end
for first = 1, #doomed, CHUNK do
  redis.call('DEL', unpack(doomed, first, math.min(first + CHUNK - 1, #doomed)))
end
return #doomed
