--[[
  Fragment: the version memory of an entry key (see src/redis/entry-format.ts). A separate key in the
  entry's slot, `<version>|<appliedAtMs>`, that remembers the last change the worker applied to the entry
  for a bounded window (its PX), beyond the life of the entry itself, so that a late duplicate, a replayed
  dead letter or a fill read from a lagging replica cannot write an older image back after the entry expired.
  Needs entry-header and compare-versions.
  read_memory(key)                  -> version ('' when unknown), appliedAtMs (nil when no memory)
  remember(key, version, ttl_ms, now_ms)  keep the newer of the two versions ('' forgets every version:
                                    the key's next versions start a new order) and the time of this change
  redis_now_ms()                    Redis's own clock, the same for every client
]]
local function redis_now_ms()
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end

local function read_memory(key)
  local raw = redis.pcall('GET', key)
  if type(raw) ~= 'string' then return '', nil end
  local version, at = string.match(raw, '^([^|]*)|(%d+)$')
  if not version then return '', nil end
  return version, tonumber(at)
end

local function remember(key, version, ttl_ms, now_ms)
  if version ~= '' then
    local old = read_memory(key)
    if old ~= '' and compare_versions(old, version) > 0 then version = old end
  end
  redis.call('SET', key, version .. '|' .. now_ms, 'PX', ttl_ms)
end

--[[
  tombstone(entry, memory, version, ttl_ms, now_ms) -> 1 entry deleted, 0 kept: the entry is deleted (which also cancels a fill
  in progress) and the version remembered, so that a late, older refresh or a fill read from a snapshot older
  than the change cannot bring the data back; kept when the entry holds a value or lease of this version or
  a newer one (written or leased after this change). '' as the version: forget the versions, keep the time
  (for fills held off by the entity's maxReplicaLag). write-tombstones-n.lua reads and writes the same keys
  in fewer Redis calls.
]]
local function tombstone(entry, memory, incoming, ttl_ms, now_ms)
  local raw = redis.pcall('GET', entry)
  if type(raw) ~= 'string' then raw = nil end
  local kind, _, version = entry_header(raw)
  remember(memory, incoming, ttl_ms, now_ms)
  if incoming ~= '' and kind and kind ~= 't' and version ~= '' and compare_versions(version, incoming) >= 0 then
    return 0
  end
  redis.call('DEL', entry)
  return 1
end
