--[[
  SDK miss: take the fill lease of an entry, BEFORE the caller reads the database.
  Input:  KEYS[1] entry key
          ARGV[1] lease token            ARGV[2] lease ttl ms
          ARGV[3] generation the caller observed (its entity's generation key, missing = 0)
          ARGV[4] now ms                 ARGV[5] refresh token ('' when the entity has no grace)
  Output: {'lease', version}   lease taken: the key was absent, a tombstone, not a cdc-cache entry, of an older
                               generation, or expired without grace; or a lease of an older generation.
                               version: the replaced entry's version ('' if none), a lower bound for the
                               value about to be loaded
          {'fresh', raw}       a fresh value is there (someone filled it since the caller's read)
          {'refresh', raw}     stale but within grace: ARGV[5] is now its refresh token, serve raw meanwhile
          {'stale', raw}       stale within grace and someone else is refreshing it
          {'wait', pttl}       someone else holds the lease
]]
--@include entry-header
--@include value-fields
local key = KEYS[1]
local token, lease_ttl = ARGV[1], ARGV[2]
local gen, now, refresh_token = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]

-- A key of another type (a hash, a list) reads as absent and is replaced.
local raw = redis.pcall('GET', key)
if type(raw) ~= 'string' then raw = nil end
local kind, entry_gen, version, rest = entry_header(raw)
if kind and entry_gen >= gen then
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
        return {'refresh', refreshed}
      end
    end
  end
end
-- Whatever the key held, of any generation, was written at a version this row has already reached: it is a
-- lower bound for the value about to be loaded, and the lease keeps it so that no older refresh lands meanwhile.
local lower_bound = ''
if kind then lower_bound = version end
-- The lease keeps the tombstone's version: a late refresh older than it must not land while the fill runs.
redis.call('SET', key, 'l|' .. gen .. '|' .. lower_bound .. '|' .. token, 'PX', lease_ttl)
return {'lease', lower_bound}
