--[[
  Worker: versioned tombstones (see tombstone() in includes/version-memory.lua), many in one call, so a batch
  of deletes costs one script call per pipeline on standalone Redis and one per slot on Redis Cluster (every
  key of a call must then share one slot), instead of one per key.
  Input:  KEYS[2i-1] entry key             KEYS[2i] its version memory
          ARGV[1] the runs, one per consecutive entries with the same version, ttl and transaction (the keys
          of one change share all three, so the worker sends them once per change, not per key), in one
          string: one argument instead of four per change is what the client's encoding costs (see
          tombstoneRun in scripts.ts). Each run is `<ttl>,<count>,<xid>,<length>:<version>`:
            memory ttl ms (digits)
            how many entries (pairs of keys) the run covers (digits)
            the change's PostgreSQL transaction id (digits; '' when none)
            event version ('' = forget the versions, keep the time), any text, after its byte length
          so that one pattern match reads a run's head: parsing the runs was a fifth of Redis' time per
          1-key change when each field carried its own length.
  Output: the number of entries deleted; an error, before any write, when the runs do not cover the keys
  Each key gets exactly what tombstone() does, in order. When no key repeats (the worker sends one action
  per key), the entries and memories are read with one MGET and the entries deleted with one DEL: a few
  Redis calls per key fewer, which is most of a tombstone's cost inside Redis.
]]
--@include entry-header
--@include compare-versions
--@include version-memory
local now_ms = redis_now_ms()
local count = #KEYS
-- The version, memory ttl and transaction of entry e (KEYS[2e-1]), from the runs.
local versions, ttls, xids = {}, {}, {}
local entries = 0
if #ARGV > 1 then
  return redis.error_reply('write-tombstones-n: the runs come in one argument, got ' .. #ARGV)
end
local runs = ARGV[1] or ''
local at = 1
local size = #runs
while at <= size do
  local _, head_end, ttl, many, xid, length = string.find(runs, '^(%d+),(%d+),(%d*),(%d+):', at)
  length = tonumber(length)
  if not head_end or head_end + length > size then
    return redis.error_reply('write-tombstones-n: malformed runs at byte ' .. at)
  end
  local version = string.sub(runs, head_end + 1, head_end + length)
  at = head_end + length + 1
  for _ = 1, tonumber(many) do
    entries = entries + 1
    versions[entries] = version
    ttls[entries] = ttl
    xids[entries] = xid
  end
end
if entries * 2 ~= count then
  return redis.error_reply('write-tombstones-n: the runs cover ' .. entries .. ' entries, KEYS hold ' .. count .. ' keys')
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
  for e = 1, entries do
    deleted = deleted + tombstone(KEYS[2 * e - 1], KEYS[2 * e], versions[e], ttls[e], now_ms, xids[e])
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
for e = 1, entries do
  local raw = raws[2 * e - 1]
  -- entry_header()'s kind and version, without copying the rest of the entry.
  local kind, version
  if type(raw) == 'string' then kind, version = string.match(raw, '^([vnlt])|%d+|([^|]*)') end
  local old, _, old_xid = parse_memory(raws[2 * e])
  local raised = write_memory(KEYS[2 * e], versions[e], ttls[e], now_ms, xids[e], old, old_xid)
  if not tombstone_keeps(kind, version, versions[e], raised) then doomed[#doomed + 1] = KEYS[2 * e - 1] end
end
for first = 1, #doomed, CHUNK do
  redis.call('DEL', unpack(doomed, first, math.min(first + CHUNK - 1, #doomed)))
end
return #doomed
