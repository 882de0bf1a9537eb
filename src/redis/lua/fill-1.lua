--[[
  SDK fill: write the loaded value only if the entry still holds the caller's lease or refresh token. A
  worker delete, tombstone or refresh replaced it if the row changed during the load: then nothing is written.
  Input:  KEYS[1] entry key
          ARGV[1] lease or refresh token     ARGV[2] the entry to write     ARGV[3] its ttl ms
  Output: 1 written, 0 the fill was cancelled
]]
--@include entry-header
--@include value-fields
local key, token = KEYS[1], ARGV[1]
local raw = redis.pcall('GET', key)
if type(raw) ~= 'string' then raw = nil end
local kind, _, _, rest = entry_header(raw)
local holds = false
if kind == 'l' then
  holds = rest == token
elseif kind == 'v' or kind == 'n' then
  local written, _, current_token = value_fields(rest)
  holds = written ~= nil and current_token == token
end
if not holds then return 0 end
redis.call('SET', key, ARGV[2], 'PX', ARGV[3])
return 1
