--[[
  SDK miss: take the fill lease of an entry, BEFORE the caller reads the database.
  Input:  KEYS[1] entry key                  KEYS[2] its version memory (same slot)
          ARGV[1] lease token            ARGV[2] lease ttl ms
          ARGV[3] generation the caller observed (its entity's generation key; an entry of any other
                  generation is treated as absent)
          ARGV[4] now ms                 ARGV[5] refresh token ('' when the entity has no grace)
          ARGV[6] '1' when ARGV[3] is a generation the caller is creating in the same round trip (it may lose
                  to another's): a lease of another generation is then waited for, never taken over
  Output: {'lease', floor, since, xid, now}  lease taken: the key was absent, a tombstone, not a cdc-cache entry, of
                                    another generation, or expired without grace; or a lease of another generation.
          {'fresh', raw}            a fresh value is there (someone filled it since the caller's read)
          {'refresh', raw, floor, since, xid, now}  stale but within grace: ARGV[5] is now its refresh token, serve raw meanwhile
          {'stale', raw}            stale within grace and someone else is refreshing it
          {'wait', pttl}            someone else holds the lease
  floor: the newest version the key is known to have reached (the entry's or its memory's, '' if none). A
         fill read from a snapshot older than it is stale and must not be cached.
  since: ms since the worker last applied a change to the key (Redis clock), -1 when none is remembered.
  xid:   the newest PostgreSQL transaction among the changes the memory remembers ('' when none): a fill read
         from a snapshot in which it (or an older one) had not finished is stale and must not be cached. A
         change applied later that raises it cancels the lease (version-memory.lua), so this is what the
         fill must be checked against.
  now:   Redis's clock (ms): the SDK measures the time since the entity's last truncate (its generation memory,
         read in the same round trip) on it.
]]
--@include entry-header
--@include value-fields
--@include compare-versions
--@include version-memory
local key = KEYS[1]
local token, lease_ttl = ARGV[1], ARGV[2]
local gen, now, refresh_token = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]

-- A key of another type (a hash, a list) reads as absent and is replaced.
local raw = redis.pcall('GET', key)
if type(raw) ~= 'string' then raw = nil end
local kind, entry_gen, version, rest = entry_header(raw)

local function floor_and_since()
  local floor, at, xid = read_memory(KEYS[2])
  if kind and version ~= '' and (floor == '' or compare_versions(version, floor) > 0) then floor = version end
  local now_ms = redis_now_ms()
  local since = -1
  if at then since = math.max(0, now_ms - at) end
  return floor, since, xid, now_ms
end

if kind == 'l' and ARGV[6] == '1' then return {'wait', redis.call('PTTL', key)} end
if kind and entry_gen == gen then
  if kind == 'l' then return {'wait', redis.call('PTTL', key)} end
  if kind == 'v' or kind == 'n' then
    local written, stale_at, current_token, payload_start = value_fields(rest)
    if written then
      if now < stale_at then return {'fresh', raw} end
      if refresh_token ~= '' then
        if not token_expired(current_token, now) then return {'stale', raw} end
        local head = kind .. '|' .. entry_gen .. '|' .. version .. '|' .. written .. '|' .. stale_at .. '|'
        local refreshed = head .. refresh_token .. '|' .. string.sub(rest, payload_start)
        redis.call('SET', key, refreshed, 'KEEPTTL')
        local floor, since, xid, now_ms = floor_and_since()
        return {'refresh', refreshed, floor, since, xid, now_ms}
      end
    end
  end
end
-- Whatever the key held, of any generation, and whatever its memory holds, was reached by this row: the
-- lease keeps that floor so that no older refresh lands meanwhile, and the caller checks its read against it.
local floor, since, xid, now_ms = floor_and_since()
redis.call('SET', key, 'l|' .. ARGV[3] .. '|' .. floor .. '|' .. token, 'PX', lease_ttl)
return {'lease', floor, since, xid, now_ms}
