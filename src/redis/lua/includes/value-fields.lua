--[[
  Fragment: split the rest of a value or not-found entry (after its version field, see entry_header).
  value_fields(rest) -> writtenAtMs, staleAtMs, refreshToken, payloadStart
    payloadStart  1-based index in rest where the payload begins
  A refresh token is '<random>.<expiresAtMs>': a refresher that died leaves a token others may take over.
]]
local function value_fields(rest)
  local written, stale, token = string.match(rest, '^(%d*)|(%d*)|([^|]*)|')
  if not written then return nil end
  return tonumber(written) or 0, tonumber(stale) or 0, token, #written + #stale + #token + 4
end

local function token_expired(token, now)
  if token == '' then return true end
  local expires = tonumber(string.match(token, '%.(%d+)$'))
  return expires == nil or expires <= now
end
