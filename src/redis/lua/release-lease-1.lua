--[[
  SDK: give up a lease or refresh token whose load failed, so that others need not wait for it to expire.
  Input:  KEYS[1] entry key
          ARGV[1] lease or refresh token
  Output: 1 released, 0 the entry no longer held it
]]
--@include entry-header
--@include value-fields
local key, token = KEYS[1], ARGV[1]
local raw = redis.pcall('GET', key)
if type(raw) ~= 'string' then raw = nil end
local kind, gen, version, rest = entry_header(raw)
if kind == 'l' and rest == token then
  redis.call('DEL', key)
  return 1
end
if kind == 'v' or kind == 'n' then
  local written, stale_at, current_token, payload_start = value_fields(rest)
  if written and current_token == token then
    local head = kind .. '|' .. gen .. '|' .. version .. '|' .. written .. '|' .. stale_at .. '||'
    redis.call('SET', key, head .. string.sub(rest, payload_start), 'KEEPTTL')
    return 1
  end
end
return 0
