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
  parse_memory(raw)                 the same from a value already read (false or nil: no memory)
  later_xid(a, b)                   -> the later of two xids in PostgreSQL's circular order (within 2^31);
                                       '' is older than any. The same rule as laterTransactionId in TypeScript.
  remember(key, version, ttl_ms, now_ms, xid) -> true when xid is newer than the xid remembered (a fill in
                                    progress was checked against an older one). Keeps the newer of the two
                                    versions ('' forgets every version: the key's next versions start a new
                                    order), the newer xid, and the time of this change.
  write_memory(key, version, ttl_ms, now_ms, xid, old, old_xid) -> remember() given what the memory held
  tombstone_keeps(kind, version, incoming, raised) -> whether a tombstone keeps the entry
  redis_now_ms()                    Redis's own clock, the same for every client
]]
local function redis_now_ms()
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end

local function parse_memory(raw)
  if type(raw) ~= 'string' then return '', nil, '' end
  local version, at, xid = string.match(raw, '^([^|]*)|(%d+)|(%d*)$')
  if not version then
    version, at = string.match(raw, '^([^|]*)|(%d+)$')
    xid = ''
  end
  if not version then return '', nil, '' end
  return version, tonumber(at), xid
end

local function read_memory(key)
  return parse_memory(redis.pcall('GET', key))
end

local function later_xid(a, b)
  if a == '' then return b end
  if b == '' then return a end
  -- Lua's % is floored: the difference modulo 2^32 is never negative.
  if (tonumber(b) - tonumber(a)) % 4294967296 < 2147483648 then return b end
  return a
end

-- The last memory text made, `<version>|<now>|<xid>`: a batch of tombstones writes the same text for every
-- key of one change that had no memory, so it is built (and interned) once, not once per key.
local text_version, text_now, text_xid, text
local function memory_text(version, now_ms, xid)
  if version ~= text_version or now_ms ~= text_now or xid ~= text_xid then
    text_version, text_now, text_xid = version, now_ms, xid
    text = version .. '|' .. now_ms .. '|' .. xid
  end
  return text
end

local function write_memory(key, version, ttl_ms, now_ms, xid, old, old_xid)
  if version ~= '' and old ~= '' and compare_versions(old, version) > 0 then version = old end
  local horizon = later_xid(old_xid, xid or '')
  redis.call('SET', key, memory_text(version, now_ms, horizon), 'PX', ttl_ms)
  return horizon ~= old_xid
end

local function remember(key, version, ttl_ms, now_ms, xid)
  local old, _, old_xid = read_memory(key)
  return write_memory(key, version, ttl_ms, now_ms, xid, old, old_xid)
end

-- Does a tombstone keep an entry of this kind and version? Only one written or leased at this change's
-- version or a newer one, and only when the memory had already counted the change's transaction.
local function tombstone_keeps(kind, version, incoming, raised)
  return not raised and incoming ~= '' and kind ~= nil and kind ~= 't' and version ~= ''
    and compare_versions(version, incoming) >= 0
end

--[[
  tombstone(entry, memory, version, ttl_ms, now_ms, xid) -> 1 entry deleted, 0 kept: the entry is deleted
  (which also cancels a fill in progress) and the version remembered, so that a late, older refresh or a fill
  read from a snapshot older than the change cannot bring the data back; kept when the entry holds a value or
  lease of this version or a newer one (written or leased after this change) and the memory had already
  counted this change's transaction. '' as the version: forget the versions, keep the time (for fills held
  off by the entity's maxReplicaLag). write-tombstones-n.lua does the same for many keys in fewer Redis calls.
]]
local function tombstone(entry, memory, incoming, ttl_ms, now_ms, xid)
  local raw = redis.pcall('GET', entry)
  if type(raw) ~= 'string' then raw = nil end
  local kind, _, version = entry_header(raw)
  local raised = remember(memory, incoming, ttl_ms, now_ms, xid)
  -- A transaction the memory had not counted cancels any fill in progress, even one leased at a newer
  -- version: that fill's snapshot was checked against the older xid.
  if tombstone_keeps(kind, version, incoming, raised) then return 0 end
  redis.call('DEL', entry)
  return 1
end
