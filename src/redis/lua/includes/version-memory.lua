--[[
  Fragment: the version memory of an entry key (see src/redis/entry-format.ts). A separate key in the
  entry's slot, `<version>|<appliedAtMs>|<xid>`, that remembers the last change the worker applied to the
  entry for a bounded window (its PX), beyond the life of the entry itself, so that a late duplicate, a
  replayed dead letter or a fill read from a lagging replica cannot write an older image back after the entry
  expired. `xid` is the newest PostgreSQL transaction id (32-bit, decimal) among the changes applied in that
  window, '' when none carried one (other sources); a fill read from a standby is cached only when every
  transaction up to it had finished in the snapshot read (src/keyspace/postgres-snapshot.ts). Memories written
  before the xid field (`<version>|<appliedAtMs>`) read with xid ''.
  Needs entry-header and compare-versions.
  read_memory(key)                  -> version ('' when unknown), appliedAtMs (nil when no memory), xid ('' when none)
  later_xid(a, b)                   -> the later of two xids in PostgreSQL's circular order (within 2^31);
                                       '' is older than any. The same rule as laterTransactionId in TypeScript.
  remember(key, version, ttl_ms, now_ms, xid) -> true when xid is newer than the xid remembered (a fill in
                                    progress was checked against an older one). Keeps the newer of the two
                                    versions ('' forgets every version: the key's next versions start a new
                                    order), the newer xid, and the time of this change.
  redis_now_ms()                    Redis's own clock, the same for every client
]]
local function redis_now_ms()
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end

local function read_memory(key)
  local raw = redis.pcall('GET', key)
  if type(raw) ~= 'string' then return '', nil, '' end
  local version, at, xid = string.match(raw, '^([^|]*)|(%d+)|(%d*)$')
  if not version then
    version, at = string.match(raw, '^([^|]*)|(%d+)$')
    xid = ''
  end
  if not version then return '', nil, '' end
  return version, tonumber(at), xid
end

local function later_xid(a, b)
  if a == '' then return b end
  if b == '' then return a end
  -- Lua's % is floored: the difference modulo 2^32 is never negative.
  if (tonumber(b) - tonumber(a)) % 4294967296 < 2147483648 then return b end
  return a
end

local function remember(key, version, ttl_ms, now_ms, xid)
  local old, _, old_xid = read_memory(key)
  if version ~= '' and old ~= '' and compare_versions(old, version) > 0 then version = old end
  local horizon = later_xid(old_xid, xid or '')
  redis.call('SET', key, version .. '|' .. now_ms .. '|' .. horizon, 'PX', ttl_ms)
  return horizon ~= old_xid
end

--[[
  tombstone(entry, memory, version, ttl_ms, now_ms, xid) -> 1 entry deleted, 0 kept (see write-tombstone-2.lua)
]]
local function tombstone(entry, memory, incoming, ttl_ms, now_ms, xid)
  local raw = redis.pcall('GET', entry)
  if type(raw) ~= 'string' then raw = nil end
  local kind, _, version = entry_header(raw)
  local raised = remember(memory, incoming, ttl_ms, now_ms, xid)
  -- A transaction the memory had not counted cancels any fill in progress, even one leased at a newer
  -- version: that fill's snapshot was checked against the older xid.
  if not raised and incoming ~= '' and kind and kind ~= 't' and version ~= ''
    and compare_versions(version, incoming) >= 0 then
    return 0
  end
  redis.call('DEL', entry)
  return 1
end
